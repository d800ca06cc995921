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
    private readonly SemaphoreSlim _model = new(1, 1);
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
        var missing = 0;
        if (texts.Any(t => !_vectors.ContainsKey(t)))
        {
            // One caller at a time asks the model, so tenants ingesting the same text at once embed it once.
            await _model.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var toEmbed = texts.Where(t => !_vectors.ContainsKey(t)).Distinct(StringComparer.Ordinal).ToList();
                if (toEmbed.Count > 0)
                {
                    var generated = await model.GenerateAsync(toEmbed, options, cancellationToken).ConfigureAwait(false);
                    for (var i = 0; i < toEmbed.Count; i++)
                    {
                        _vectors[toEmbed[i]] = generated[i];
                    }
                }

                missing = toEmbed.Count;
            }
            finally
            {
                _model.Release();
            }

            Interlocked.Add(ref _embedded, missing);
        }

        Interlocked.Add(ref _reused, texts.Count - missing);
        return [.. texts.Select(t => _vectors[t])];
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceType.IsInstanceOfType(this) && serviceKey is null ? this : model.GetService(serviceType, serviceKey);

    public void Dispose()
    {
        _model.Dispose();
        model.Dispose();
    }
}
