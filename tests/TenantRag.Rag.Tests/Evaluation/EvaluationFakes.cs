using Microsoft.Extensions.AI;
using TenantRag.Rag.Evaluation;
using TenantRag.Tenancy;

namespace TenantRag.Rag.Tests.Evaluation;

/// <summary>A tenant catalog in memory, counting what it was asked to do.</summary>
internal sealed class InMemoryTenantCatalog : ITenantCatalog
{
    private readonly Dictionary<TenantSlug, TenantInfo> _tenants = [];

    public int Created { get; private set; }

    public int Deleted { get; private set; }

    public void Add(string slug, TenancyMode mode, string status = "active") =>
        _tenants[TenantSlug.Parse(slug)] = Info(TenantSlug.Parse(slug), mode, status);

    public Task<TenantInfo> CreateAsync(TenantSlug slug, TenancyMode mode, CancellationToken cancellationToken = default)
    {
        if (_tenants.ContainsKey(slug))
        {
            throw new TenantAlreadyExistsException(slug, "active");
        }

        Created++;
        return Task.FromResult(_tenants[slug] = Info(slug, mode, "active"));
    }

    public Task<TenantInfo?> FindAsync(TenantSlug slug, CancellationToken cancellationToken = default) =>
        Task.FromResult(_tenants.GetValueOrDefault(slug));

    public Task<IReadOnlyList<TenantInfo>> ListAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<TenantInfo>>([.. _tenants.Values.OrderBy(t => t.Slug.Value, StringComparer.Ordinal)]);

    public Task<long> CountAsync(CancellationToken cancellationToken = default) => Task.FromResult((long)_tenants.Count);

    public Task<TenantDeletion> DeleteAsync(TenantSlug slug, CancellationToken cancellationToken = default)
    {
        var info = _tenants[slug];
        _tenants.Remove(slug);
        Deleted++;
        return Task.FromResult(new TenantDeletion { Tenant = info, Documents = 0, Chunks = 0 });
    }

    private static TenantInfo Info(TenantSlug slug, TenancyMode mode, string status) => new()
    {
        Slug = slug,
        Id = "id-" + slug.Value,
        Mode = mode,
        Database = "db",
        Server = "local",
        Status = status,
        CreatedAt = DateTimeOffset.UnixEpoch,
    };
}

/// <summary>Records which documents went into which tenant; every document is one chunk, stored once.</summary>
internal sealed class RecordingIngestor : IEvaluationIngestor
{
    private readonly Dictionary<string, HashSet<string>> _stored = new(StringComparer.Ordinal);

    public Dictionary<string, List<string>> Offered { get; } = new(StringComparer.Ordinal);

    public Task<EvaluationIngestion> IngestAsync(TenantContext context, IReadOnlyList<BeirDocument> documents, CancellationToken cancellationToken = default)
    {
        var tenant = context.Tenant.Value;
        Offered[tenant] = [.. documents.Select(d => d.Id)];
        if (!_stored.TryGetValue(tenant, out var stored))
        {
            _stored[tenant] = stored = new HashSet<string>(StringComparer.Ordinal);
        }

        var added = documents.Count(d => stored.Add(d.Id));
        return Task.FromResult(new EvaluationIngestion
        {
            Documents = documents.Count,
            DocumentsStored = added,
            DocumentsUnchanged = documents.Count - added,
            Chunks = added,
            ChunksEmbedded = added,
            Elapsed = TimeSpan.FromSeconds(added),
        });
    }

    public Task<IReadOnlyList<string>> EmbeddingInputsAsync(IReadOnlyList<BeirDocument> documents, int count, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<string>>([.. documents.Take(count).Select(d => $"{d.Title}\n{d.Text}")]);
}

/// <summary>Answers each query with a fixed list of document ids, remembering the tenant it was asked in.</summary>
internal sealed class ScriptedRetriever(Dictionary<string, string?[]> answers) : IEvaluationRetriever
{
    public string Name => "scripted";

    public IReadOnlyDictionary<string, double> Settings { get; } = new Dictionary<string, double> { ["depth"] = 3 };

    public List<(string Tenant, string Query)> Asked { get; } = [];

    public Task<RetrievedDocuments> SearchAsync(TenantContext context, string query, CancellationToken cancellationToken = default)
    {
        Asked.Add((context.Tenant.Value, query));
        return Task.FromResult(new RetrievedDocuments
        {
            DocumentIds = answers.GetValueOrDefault(query) ?? [],
            StageMs = new Dictionary<string, double> { ["embedding"] = Asked.Count },
        });
    }
}

/// <summary>A deterministic embedding generator: a unit vector from the text's hash.</summary>
internal sealed class HashEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    public int Calls { get; private set; }

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        Calls++;
        var result = new GeneratedEmbeddings<Embedding<float>>();
        foreach (var value in values)
        {
            var vector = new float[8];
            vector[(int)((uint)StringComparer.Ordinal.GetHashCode(value) % 8)] = 1;
            result.Add(new Embedding<float>(vector));
        }

        return Task.FromResult(result);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
