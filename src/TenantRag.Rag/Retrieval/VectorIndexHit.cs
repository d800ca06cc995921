namespace TenantRag.Rag.Retrieval;

/// <summary>One result of <see cref="VectorIndex.Search(ReadOnlySpan{float}, int, string)"/>.</summary>
/// <param name="ChunkId">The chunk the matching vector belongs to.</param>
/// <param name="Score">
/// Dot product of the query with the stored (unit-length) vector: the cosine similarity when the query is unit-length too.
/// </param>
public readonly record struct VectorIndexHit(long ChunkId, float Score);
