using System.Diagnostics;
using Microsoft.Extensions.AI;
using TenantRag.Documents;
using TenantRag.Rag.Ingestion.Pipeline;
using TenantRag.Retrieval;
using TenantRag.Tenancy;

namespace TenantRag.Rag.Retrieval.Search;

/// <summary>
/// Re-embeds a tenant's chunks with the configured model (<c>tenantrag reembed</c>), so searches work again after an
/// <see cref="EmbeddingModelMismatchException"/>. It runs owner by owner, each in that owner's own tenant sessions
/// (row-level security lets a session change only its user's rows), in batches that commit one by one: an interrupted
/// run is resumed by running it again. Chunks are embedded exactly as ingestion embeds them (heading, line break, text).
/// </summary>
public sealed class Reembedder
{
    private readonly IReembedStore _store;
    private readonly IEmbeddingGenerator<string, Embedding<float>> _embeddings;
    private readonly int _batchSize;
    private readonly int _maxEmbeddedHeadingLength;

    /// <summary>Creates a re-embedder.</summary>
    /// <param name="store">Reads and updates chunks.</param>
    /// <param name="embeddings">The model to re-embed with (the one searches embed queries with).</param>
    /// <param name="batchSize">Chunks per batch (one embedding call and one transaction), default 64.</param>
    /// <param name="pipelineOptions">The ingestion settings, for how much of a heading is embedded; null for the defaults.</param>
    public Reembedder(IReembedStore store, IEmbeddingGenerator<string, Embedding<float>> embeddings, int batchSize = 64, IngestionPipelineOptions? pipelineOptions = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(embeddings);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        _store = store;
        _embeddings = embeddings;
        _batchSize = batchSize;
        _maxEmbeddedHeadingLength = (pipelineOptions ?? new IngestionPipelineOptions()).MaxEmbeddedHeadingLength;
        Model = SearchService.ModelOf(embeddings);
    }

    /// <summary>The model chunks are re-embedded with.</summary>
    public EmbeddingModel Model { get; }

    /// <summary>
    /// Re-embeds every chunk of <paramref name="tenant"/> without a vector of <see cref="Model"/>: those of
    /// <paramref name="user"/> only, or, when it is null, those of every owner (listed with an administrative read).
    /// </summary>
    /// <param name="tenant">The tenant.</param>
    /// <param name="user">Only this user's chunks; null for every owner's.</param>
    /// <param name="progress">Receives the running count of re-embedded chunks after each batch.</param>
    /// <param name="cancellationToken">Stops after the current batch's transaction.</param>
    /// <returns>What was done.</returns>
    public async Task<ReembedResult> ReembedAsync(TenantSlug tenant, UserId? user = null, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        var owners = user is { } only ? [only] : await _store.OwnersToReembedAsync(tenant, Model, cancellationToken).ConfigureAwait(false);
        var total = 0;
        var skipped = 0;
        foreach (var owner in owners)
        {
            var context = TenantContext.For(tenant, owner);
            var after = 0L;
            while (true)
            {
                var page = await _store.ChunksToReembedAsync(context, Model, after, _batchSize, cancellationToken).ConfigureAwait(false);
                if (page.Count == 0)
                {
                    break;
                }

                after = page[^1].Id;
                var texts = page.Select(c => (c.Id, Text: ChunkText.ForEmbedding(c.Heading, c.Content, _maxEmbeddedHeadingLength)))
                    .Where(c => !string.IsNullOrWhiteSpace(c.Text))
                    .ToList();
                skipped += page.Count - texts.Count;
                if (texts.Count == 0)
                {
                    continue;
                }

                var vectors = await _embeddings.GenerateAsync(texts.Select(t => t.Text), cancellationToken: cancellationToken).ConfigureAwait(false);
                var rows = texts.Select((t, i) => (t.Id, vectors[i].Vector, IngestionHashing.Chunk(Model.Name, t.Text))).ToList();
                total += await _store.StoreEmbeddingsAsync(context, Model, rows, cancellationToken).ConfigureAwait(false);
                progress?.Report(total);
            }
        }

        return new ReembedResult
        {
            Tenant = tenant,
            Model = Model,
            Owners = owners,
            Chunks = total,
            Skipped = skipped,
            Seconds = Stopwatch.GetElapsedTime(started).TotalSeconds,
        };
    }
}
