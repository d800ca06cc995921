using TenantRag.Documents;

namespace TenantRag.Rag.Retrieval.Search;

/// <summary>One ranked chunk of a search, with what each retriever said about it.</summary>
public sealed record SearchHit
{
    /// <summary>Position in the results, from 1.</summary>
    public required int Rank { get; init; }

    /// <summary>
    /// The score the results are ordered by: the weighted reciprocal rank fusion score for hybrid search, the cosine
    /// similarity for vector search, the full-text rank for lexical search.
    /// </summary>
    public required double Score { get; init; }

    /// <summary>The chunk, with its document's title and id.</summary>
    public required ChunkDetails Chunk { get; init; }

    /// <summary>Cosine similarity of the query with the chunk, when the vector retriever returned it.</summary>
    public float? VectorScore { get; init; }

    /// <summary>Rank (from 1) in the vector candidates, when the vector retriever returned it.</summary>
    public int? VectorRank { get; init; }

    /// <summary>Full-text score, when the lexical retriever returned it.</summary>
    public float? LexicalScore { get; init; }

    /// <summary>Rank (from 1) in the full-text candidates, when the lexical retriever returned it.</summary>
    public int? LexicalRank { get; init; }
}
