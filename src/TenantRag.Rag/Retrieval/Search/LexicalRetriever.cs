using System.Diagnostics;
using TenantRag.Retrieval;

namespace TenantRag.Rag.Retrieval.Search;

/// <summary>
/// Full-text search over a tenant's cached <see cref="LexicalIndex"/> partitions (see <see cref="PartitionedIndexes"/>),
/// each loaded through the caller's session from the chunks' stored terms. The query's terms come from the database
/// too, so a query word is normalised exactly as the chunks' words were.
/// </summary>
/// <remarks>
/// Scoring in process rather than in SQL matters for speed: under forced row-level security PostgreSQL may not use the
/// full-text GIN index (its match operator is not LEAKPROOF), so each query would read every chunk of the tenant.
/// </remarks>
public sealed class LexicalRetriever
{
    private static readonly string[] Kind = ["lexical"];
    private readonly PartitionedIndexes _partitions;
    private readonly IndexSnapshots? _snapshots;

    /// <summary>Creates a retriever over <paramref name="cache"/>.</summary>
    /// <param name="cache">The index cache; it may be shared with other retrievers.</param>
    /// <param name="scope">Distinguishes installations sharing one cache; null for a scope unique to this retriever.</param>
    /// <param name="snapshots">
    /// Where the tenant-wide partition is read from when a snapshot of the current data version is stored, and offered
    /// to after a load from the chunks; null to always load from the chunks.
    /// </param>
    public LexicalRetriever(RetrievalIndexCache cache, string? scope = null, IndexSnapshots? snapshots = null)
    {
        ArgumentNullException.ThrowIfNull(cache);
        _partitions = new PartitionedIndexes(cache, scope ?? Guid.NewGuid().ToString("N"));
        _snapshots = snapshots;
    }

    /// <summary>The <paramref name="k"/> best chunks for the query <paramref name="terms"/> that the session's user may see.</summary>
    /// <param name="session">The caller's session.</param>
    /// <param name="dataVersion">The tenant's data version, read in <paramref name="session"/>.</param>
    /// <param name="terms">The query's full-text terms, as <see cref="ISearchSession.StartAsync"/> made them.</param>
    /// <param name="k">How many hits at most.</param>
    /// <param name="cancellationToken">Cancels the search.</param>
    /// <returns>Chunk ids with BM25 scores, best first.</returns>
    public async Task<IReadOnlyList<(long ChunkId, float Score)>> SearchAsync(ISearchSession session, long dataVersion, IReadOnlyList<string> terms, int k, CancellationToken cancellationToken = default) =>
        (await SearchTimedAsync(session, dataVersion, terms, k, cancellationToken).ConfigureAwait(false)).Hits;

    /// <summary>As <see cref="SearchAsync"/>, with the milliseconds it took to get the index (from the cache, or loaded).</summary>
    internal async Task<(IReadOnlyList<(long ChunkId, float Score)> Hits, double IndexMs)> SearchTimedAsync(ISearchSession session, long dataVersion,
        IReadOnlyList<string> terms, int k, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(terms);
        if (terms.Count == 0)
        {
            return ([], 0);
        }

        var started = Stopwatch.GetTimestamp();
        var (shared, own) = await _partitions.GetAsync(session, Kind, dataVersion, (partition, ct) => LoadAsync(session, partition, dataVersion, ct), cancellationToken).ConfigureAwait(false);
        var indexMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        return (LexicalIndex.Search(own.Count == 0 ? [shared] : [shared, own], terms, k, session.Context.User.Value), indexMs);
    }

    private async Task<LexicalIndex> LoadAsync(ISearchSession session, IndexPartition partition, long dataVersion, CancellationToken cancellationToken)
    {
        if (partition != IndexPartition.Tenant || _snapshots is null)
        {
            return await LoadFromChunksAsync(session, partition, cancellationToken).ConfigureAwait(false);
        }

        if (await _snapshots.TryReadAsync(session, IndexSnapshotKey.Lexical, dataVersion, bytes => LexicalIndex.FromSnapshot(bytes), static index => index.HasPrivateRows,
            cancellationToken).ConfigureAwait(false) is { } stored)
        {
            return stored;
        }

        var index = await LoadFromChunksAsync(session, partition, cancellationToken).ConfigureAwait(false);
        _snapshots.Offer(session, IndexSnapshotKey.Lexical, dataVersion, index, index.ToSnapshot);
        return index;
    }

    /// <summary>Builds one partition's index from the chunks' stored terms, read through the session.</summary>
    internal static async Task<LexicalIndex> LoadFromChunksAsync(ISearchSession session, IndexPartition partition, CancellationToken cancellationToken)
    {
        var user = session.Context.User.Value;
        var builder = new LexicalIndexBuilder();
        await session.LoadTermsAsync(partition, chunk =>
        {
            if (PartitionedIndexes.Belongs(partition, chunk.Owner, chunk.IsPrivate, user))
            {
                builder.Add(chunk);
            }
        }, cancellationToken).ConfigureAwait(false);
        return builder.Build();
    }
}
