using TenantRag.Documents;
using TenantRag.Tenancy;

namespace TenantRag.Retrieval;

/// <summary>What retrieval reads, inside one tenant transaction: row-level security decides what is visible.</summary>
public interface ISearchSession : IAsyncDisposable
{
    /// <summary>Whose session this is.</summary>
    TenantContext Context { get; }

    /// <summary>
    /// The id of the tenant's creation the session reads (<see cref="TenantInfo.Id"/>): what caches key the tenant's
    /// indexes by, since a slug can name another tenant after a delete.
    /// </summary>
    string TenantId { get; }

    /// <summary>
    /// Starts a search in one round trip: the tenant's data version and, when <paramref name="lexicalQuery"/> is given,
    /// the query's full-text terms.
    /// </summary>
    /// <param name="lexicalQuery">The query text when full-text retrieval runs; null when only vectors are searched.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    Task<SearchStart> StartAsync(string? lexicalQuery, CancellationToken cancellationToken = default);

    /// <summary>Embedding models of the visible chunks, most chunks first, with their counts (reads every chunk: for reports and errors).</summary>
    Task<IReadOnlyList<(EmbeddingModel Model, long Chunks)>> EmbeddingModelsAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// The distinct embedding models of the visible chunks, in no particular order, without counting them: what every
    /// search asks once per data version, so a store should answer it without reading every chunk.
    /// </summary>
    async Task<IReadOnlyList<EmbeddingModel>> DistinctEmbeddingModelsAsync(CancellationToken cancellationToken = default) =>
        [.. (await EmbeddingModelsAsync(cancellationToken).ConfigureAwait(false)).Select(m => m.Model)];

    /// <summary>Streams one partition's vectors of <paramref name="model"/>: chunk id, owner, private flag, vector. Returns the count.</summary>
    Task<int> LoadVectorsAsync(IndexPartition partition, EmbeddingModel model, Action<long, string, bool, float[]> sink, CancellationToken cancellationToken = default);

    /// <summary>Streams one partition's chunks with their full-text terms. Returns the count.</summary>
    Task<int> LoadTermsAsync(IndexPartition partition, Action<ChunkTerms> sink, CancellationToken cancellationToken = default);

    /// <summary>
    /// The persisted snapshot <paramref name="key"/> of the tenant-wide partition, in one read, if it was built at
    /// <paramref name="dataVersion"/> (the version this session read); null when there is none at that version. A
    /// store that keeps no snapshots returns null.
    /// </summary>
    Task<byte[]?> ReadSnapshotAsync(IndexSnapshotKey key, long dataVersion, CancellationToken cancellationToken = default) =>
        Task.FromResult<byte[]?>(null);

    /// <summary>Visible chunks with their documents, in the order of <paramref name="ids"/>.</summary>
    Task<IReadOnlyList<ChunkDetails>> GetChunksAsync(IReadOnlyList<long> ids, CancellationToken cancellationToken = default);
}

/// <summary>What a search starts from (<see cref="ISearchSession.StartAsync"/>).</summary>
/// <param name="DataVersion">The tenant's data version; it grows with every write to the tenant's chunks, by any process.</param>
/// <param name="QueryTerms">
/// The distinct normalised terms of the query, made the way chunks' terms are (same language, stemming and stop words);
/// null when no full-text query was given.
/// </param>
public readonly record struct SearchStart(long DataVersion, IReadOnlyList<string>? QueryTerms);
