using System.Diagnostics;
using TenantRag.Documents;
using TenantRag.Retrieval;

namespace TenantRag.Rag.Retrieval.Search;

/// <summary>
/// Vector search over a tenant's cached <see cref="VectorIndex"/> partitions (see <see cref="PartitionedIndexes"/>): the
/// tenant-wide partition and the caller's own private one, so another user's private chunk is never even in reach.
/// </summary>
/// <remarks>
/// Defence in depth: a loaded row that does not belong in its partition is dropped, and <see cref="VectorIndex"/>
/// filters private rows by owner again. Results are chunk ids; callers read the chunks through the session, under
/// row-level security, before showing anything.
/// </remarks>
public sealed class VectorRetriever
{
    private readonly PartitionedIndexes _partitions;
    private readonly IndexSnapshots? _snapshots;

    /// <summary>Creates a retriever over <paramref name="cache"/>.</summary>
    /// <param name="cache">The index cache; it may be shared with other retrievers.</param>
    /// <param name="scope">
    /// Distinguishes installations (databases) sharing one cache, since tenant slugs are unique only within one; null
    /// for a scope unique to this retriever.
    /// </param>
    /// <param name="snapshots">
    /// Where the tenant-wide partition is read from when a snapshot of the current data version is stored, and offered
    /// to after a load from the chunks; null to always load from the chunks.
    /// </param>
    public VectorRetriever(RetrievalIndexCache cache, string? scope = null, IndexSnapshots? snapshots = null)
    {
        ArgumentNullException.ThrowIfNull(cache);
        _partitions = new PartitionedIndexes(cache, scope ?? Guid.NewGuid().ToString("N"));
        _snapshots = snapshots;
    }

    /// <summary>
    /// The <paramref name="k"/> chunks most similar to <paramref name="query"/> that the session's user may see.
    /// </summary>
    /// <param name="session">The caller's session; used to load a partition that is not cached at <paramref name="dataVersion"/>.</param>
    /// <param name="dataVersion">The tenant's data version, read in <paramref name="session"/>.</param>
    /// <param name="model">The model of the query vector (and of the vectors to search).</param>
    /// <param name="query">The unit-length query vector.</param>
    /// <param name="k">How many hits at most.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>Hits, best first.</returns>
    public async Task<IReadOnlyList<VectorIndexHit>> SearchAsync(ISearchSession session, long dataVersion, EmbeddingModel model,
        ReadOnlyMemory<float> query, int k, CancellationToken cancellationToken = default) =>
        (await SearchTimedAsync(session, dataVersion, model, query, k, cancellationToken).ConfigureAwait(false)).Hits;

    /// <summary>As <see cref="SearchAsync"/>, with the milliseconds it took to get the index (from the cache, or loaded).</summary>
    internal async Task<(IReadOnlyList<VectorIndexHit> Hits, double IndexMs)> SearchTimedAsync(ISearchSession session, long dataVersion, EmbeddingModel model,
        ReadOnlyMemory<float> query, int k, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        var user = session.Context.User.Value;
        string[] kind = ["vector", model.Name, model.Dimensions.ToString(System.Globalization.CultureInfo.InvariantCulture)];
        var started = Stopwatch.GetTimestamp();
        var (shared, own) = await _partitions.GetAsync(session, kind, dataVersion, (partition, ct) => LoadAsync(session, partition, model, dataVersion, ct), cancellationToken).ConfigureAwait(false);
        var indexMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var sharedHits = shared.Search(query.Span, k, user);
        if (own.Count == 0)
        {
            return (sharedHits, indexMs);
        }

        var ownHits = own.Search(query.Span, k, user);
        return ([.. sharedHits.Concat(ownHits)
            .OrderByDescending(h => h.Score)
            .ThenBy(h => h.ChunkId)
            .Take(k)], indexMs);
    }

    private async Task<VectorIndex> LoadAsync(ISearchSession session, IndexPartition partition, EmbeddingModel model, long dataVersion, CancellationToken cancellationToken)
    {
        if (partition != IndexPartition.Tenant || _snapshots is null)
        {
            return await LoadFromChunksAsync(session, partition, model, cancellationToken).ConfigureAwait(false);
        }

        var key = IndexSnapshotKey.Vector(model);
        if (await _snapshots.TryReadAsync(session, key, dataVersion, bytes => VectorIndex.FromSnapshot(bytes, model.Dimensions), static index => index.HasPrivateRows,
            cancellationToken).ConfigureAwait(false) is { } stored)
        {
            return stored;
        }

        var index = await LoadFromChunksAsync(session, partition, model, cancellationToken).ConfigureAwait(false);
        _snapshots.Offer(session, key, dataVersion, index, index.ToSnapshot);
        return index;
    }

    /// <summary>Builds one partition's index from the chunks' vectors, read through the session.</summary>
    internal static async Task<VectorIndex> LoadFromChunksAsync(ISearchSession session, IndexPartition partition, EmbeddingModel model, CancellationToken cancellationToken)
    {
        var user = session.Context.User.Value;
        var builder = new VectorIndexBuilder(model.Dimensions);
        await session.LoadVectorsAsync(partition, model, (chunkId, owner, isPrivate, vector) =>
        {
            if (PartitionedIndexes.Belongs(partition, owner, isPrivate, user))
            {
                builder.Add(chunkId, owner, isPrivate, vector);
            }
        }, cancellationToken).ConfigureAwait(false);
        return builder.Build();
    }
}
