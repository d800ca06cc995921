namespace TenantRag.Rag.Retrieval.Search;

/// <summary>What the retrievers of one search found, before fusion.</summary>
internal sealed record RetrievalCandidates
{
    public required IReadOnlyList<VectorIndexHit> Vector { get; init; }

    public required IReadOnlyList<(long ChunkId, float Score)> Lexical { get; init; }

    public double EmbeddingMs { get; init; }

    /// <summary>The query's unit vector, when the vector retriever embedded it.</summary>
    public float[]? QueryVector { get; init; }

    public double LexicalMs { get; init; }

    public double VectorMs { get; init; }

    /// <summary>The part of <see cref="LexicalMs"/> spent getting the full-text index (from the cache, or loaded).</summary>
    public double LexicalIndexMs { get; init; }

    /// <summary>The part of <see cref="VectorMs"/> spent getting the vector index (from the cache, or loaded).</summary>
    public double VectorIndexMs { get; init; }
}
