using TenantRag.Documents;
using TenantRag.Tenancy;

namespace TenantRag.Retrieval;

/// <summary>
/// What re-embedding a tenant's chunks with another model reads and writes. Chunks are read and updated in their
/// owner's own tenant session, so row-level security still decides what changes (a session may change only its
/// user's rows); only listing the owners reads past the policies, and it reads nothing but owner ids.
/// </summary>
public interface IReembedStore
{
    /// <summary>The users who own chunks of <paramref name="tenant"/> without a vector of <paramref name="model"/> (an administrative read).</summary>
    Task<IReadOnlyList<UserId>> OwnersToReembedAsync(TenantSlug tenant, EmbeddingModel model, CancellationToken cancellationToken = default);

    /// <summary>Up to <paramref name="limit"/> of the caller's own chunks with an id above <paramref name="afterChunkId"/> and no vector of <paramref name="model"/>, by id.</summary>
    Task<IReadOnlyList<ChunkDetails>> ChunksToReembedAsync(TenantContext context, EmbeddingModel model, long afterChunkId, int limit, CancellationToken cancellationToken = default);

    /// <summary>Stores new vectors of <paramref name="model"/> (with the chunk's new content hash) for the caller's own chunks, in one transaction; returns how many were updated.</summary>
    Task<int> StoreEmbeddingsAsync(TenantContext context, EmbeddingModel model, IReadOnlyList<(long ChunkId, ReadOnlyMemory<float> Vector, string ContentHash)> embeddings, CancellationToken cancellationToken = default);
}
