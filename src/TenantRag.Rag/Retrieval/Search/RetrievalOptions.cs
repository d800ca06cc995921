namespace TenantRag.Rag.Retrieval.Search;

/// <summary>
/// How a search retrieves and fuses candidates. The defaults were chosen with <c>scripts/tune-fusion</c> on the train
/// halves of two kinds of data together: SciFact (claims over scientific abstracts) and the Cargo Book question set
/// (how-to questions over a manual).
/// </summary>
public sealed record RetrievalOptions
{
    /// <summary>The defaults.</summary>
    public static RetrievalOptions Default { get; } = new();

    /// <summary>Which retrievers run: both fused (default), or one alone.</summary>
    public RetrieverKind Retriever { get; init; } = RetrieverKind.Hybrid;

    /// <summary>How many candidates each retriever contributes before fusion (at least the number of results asked for). Default 50.</summary>
    public int CandidateDepth { get; init; } = 50;

    /// <summary>
    /// The k of reciprocal rank fusion: a candidate at rank r (from 1) scores weight / (k + r). Default 5 (chosen with the
    /// weights by <c>scripts/tune-fusion</c> on the train halves of SciFact and of the Cargo Book question set together;
    /// the customary 60 flattens the top ranks, which carry most of the signal on SciFact).
    /// </summary>
    public double RrfK { get; init; } = 5;

    /// <summary>Weight of the vector ranking in the fusion. Default 1.</summary>
    public double VectorWeight { get; init; } = 1.0;

    /// <summary>
    /// Weight of the full-text ranking in the fusion. Default 0.75, so the vector ranking's first hit outranks the full-text
    /// ranking's first hit when neither retriever ranks the other's at all: on how-to questions a full-text match is often
    /// on one common word (the Cargo Book set: 0.77 nDCG@10 on its train half against 0.73 at the former 1.5), while
    /// SciFact's claims, rich in rare terms, do not lose (0.721 against 0.718). Chosen with the RRF k by
    /// <c>scripts/tune-fusion</c> on both train halves.
    /// </summary>
    public double LexicalWeight { get; init; } = 0.75;

    /// <summary>
    /// Document rankings only (<see cref="SearchService.SearchDocumentsAsync(TenantRag.Tenancy.TenantContext, string, int, RetrievalOptions?, CancellationToken)"/>):
    /// how much a document's second-best chunk counts when each retriever's chunk ranking is collapsed to documents. A
    /// document scores 1 / (k + r1) + weight / (k + r2) in a retriever's ranking (r1 and r2 the ranks of its two best
    /// chunks, k <see cref="RrfK"/>); 0 ranks a document where its best chunk ranks.
    /// </summary>
    public double SecondChunkWeight { get; init; }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(CandidateDepth, 1, nameof(CandidateDepth));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(CandidateDepth, 1000, nameof(CandidateDepth));
        if (!double.IsFinite(RrfK) || RrfK < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(RrfK), RrfK, "must be a finite number, 0 or more");
        }

        if (!double.IsFinite(VectorWeight) || VectorWeight < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(VectorWeight), VectorWeight, "weights must be finite and 0 or more");
        }

        if (!double.IsFinite(LexicalWeight) || LexicalWeight < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(LexicalWeight), LexicalWeight, "weights must be finite and 0 or more");
        }

        if (!double.IsFinite(SecondChunkWeight) || SecondChunkWeight < 0 || SecondChunkWeight > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(SecondChunkWeight), SecondChunkWeight, "must be a finite number from 0 to 1");
        }
    }
}
