using Microsoft.Extensions.AI;
using TenantRag.Documents;
using TenantRag.Postgres;
using TenantRag.Rag.Embeddings;
using TenantRag.Rag.Ingestion.Pipeline;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Integration.Tests.Ingestion;

/// <summary>Shared arrangements for the ingestion tests: pipelines over the real store, tenants, prose, row queries.</summary>
internal static class Ingest
{
    private static readonly Lazy<MiniLmTokenizer> LazyTokenizer = new(() => MiniLmTokenizer.LoadBundled());

    /// <summary>The real model's tokenizer (cheap; the model itself is not loaded).</summary>
    public static MiniLmTokenizer Tokenizer => LazyTokenizer.Value;

    public static IngestionPipeline Pipeline(IDocumentRepository documents, IEmbeddingGenerator<string, Embedding<float>> generator, Action<IngestionPipelineOptions>? configure = null)
    {
        var options = new IngestionPipelineOptions();
        configure?.Invoke(options);
        return new IngestionPipeline(documents, generator, Tokenizer, options);
    }

    public static Task<TenantInfo> TenantAsync(TenantRagDatabase database, TenancyMode mode = TenancyMode.Shared) =>
        database.Catalog.CreateAsync(Slugs.Unique("ing"), mode, TestContext.Current.CancellationToken);

    public static TenantContext As(TenantInfo tenant, string user) => TenantContext.For(tenant.Slug, UserId.Parse(user));

    public static Task<IngestionSummary> RunAsync(IngestionPipeline pipeline, TenantContext context, string path,
        DocumentVisibility visibility = DocumentVisibility.Tenant, CancellationToken? cancellationToken = null) =>
        pipeline.IngestAsync(IngestionRequest.FromPaths(context, [path], visibility), cancellationToken: cancellationToken ?? TestContext.Current.CancellationToken);

    /// <summary>About <paramref name="sentences"/> × 12 tokens of numbered prose, in paragraphs of five sentences.</summary>
    public static string Prose(string topic, int sentences, int start = 0) => string.Join("\n\n", Enumerable.Range(start, sentences)
        .Select(i => $"Sentence {i} explains how the {topic} handles request number {i} with care and without delay.")
        .Chunk(5)
        .Select(paragraph => string.Join(' ', paragraph)));

    /// <summary>Chunk ids of the tenant's document from <paramref name="source"/>, in ordinal order (as the superuser).</summary>
    public static async Task<long[]> ChunkIdsAsync(PostgresServer server, TenantInfo tenant, string source)
    {
        var rows = await server.QueryAsync(tenant.Database,
            "SELECT c.id FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.tenant_id = $1 AND d.source = $2 ORDER BY c.ordinal",
            tenant.Id, source);
        return [.. rows.Select(r => (long)r[0]!)];
    }

    /// <summary>The tenant's documents that have no chunk: a half-stored document would show up here.</summary>
    public static Task<long> DocumentsWithoutChunksAsync(PostgresServer server, TenantInfo tenant) =>
        server.ScalarAsync<long>(tenant.Database,
            "SELECT count(*) FROM documents d WHERE d.tenant_id = $1 AND NOT EXISTS (SELECT 1 FROM chunks c WHERE c.document_id = d.id)",
            tenant.Id);
}
