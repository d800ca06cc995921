using System.Collections.Concurrent;
using Microsoft.Extensions.AI;

namespace TenantRag.Lab;

/// <summary>
/// The real embedding model, remembering each text's vector: every tenant of the fleet ingests the same few documents,
/// so each distinct text is embedded once by the model and its vector handed to every later tenant. The product reuses
/// a stored vector only inside one tenant (tenants share nothing); this is the bench making ingestion cheap, and it
/// says so in its output.
/// </summary>
internal sealed class BenchFleetEmbeddings(IEmbeddingGenerator<string, Embedding<float>> model) : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly ConcurrentDictionary<string, Embedding<float>> _vectors = new(StringComparer.Ordinal);
    private long _embedded;
    private long _reused;

    /// <summary>Texts the model embedded.</summary>
    public long Embedded => Interlocked.Read(ref _embedded);

    /// <summary>Texts answered from memory.</summary>
    public long Reused => Interlocked.Read(ref _reused);

    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var texts = values as IReadOnlyList<string> ?? [.. values];
        var missing = texts.Where(t => !_vectors.ContainsKey(t)).Distinct(StringComparer.Ordinal).ToList();
        if (missing.Count > 0)
        {
            var generated = await model.GenerateAsync(missing, options, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < missing.Count; i++)
            {
                _vectors.TryAdd(missing[i], generated[i]);
            }

            Interlocked.Add(ref _embedded, missing.Count);
        }

        Interlocked.Add(ref _reused, texts.Count - missing.Count);
        return [.. texts.Select(t => _vectors[t])];
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceType.IsInstanceOfType(this) && serviceKey is null ? this : model.GetService(serviceType, serviceKey);

    public void Dispose() => model.Dispose();
}
