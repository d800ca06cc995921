using TenantRag.Documents;

namespace TenantRag.Rag.Retrieval.Search;

/// <summary>One ranked document of a document-level search: scored by its best chunk in each retriever.</summary>
public sealed record DocumentHit
{
    /// <summary>Position in the results, from 1.</summary>
    public required int Rank { get; init; }

    /// <summary>
    /// The score the results are ordered by (fusion score, cosine similarity or full-text rank, as for chunks; for one
    /// retriever with a <see cref="RetrievalOptions.SecondChunkWeight"/>, the document's score from its two best chunks' ranks).
    /// </summary>
    public required double Score { get; init; }

    /// <summary>The document id.</summary>
    public required Guid DocumentId { get; init; }

    /// <summary>The document's external id (e.g. a BEIR <c>_id</c>), if it has one.</summary>
    public string? ExternalId { get; init; }

    /// <summary>The document's title.</summary>
    public required string Title { get; init; }

    /// <summary>The document's best-ranked chunk.</summary>
    public required ChunkDetails BestChunk { get; init; }

    /// <summary>Rank (from 1) of the document among the vector candidates collapsed to documents, if it was one.</summary>
    public int? VectorRank { get; init; }

    /// <summary>Rank (from 1) of the document among the full-text candidates collapsed to documents, if it was one.</summary>
    public int? LexicalRank { get; init; }
}
