namespace TenantRag.Rag.Retrieval.Search;

/// <summary>How a search retrieves and fuses candidates. The defaults were chosen on the SciFact train split.</summary>
public sealed record RetrievalOptions
{
    /// <summary>The defaults.</summary>
    public static RetrievalOptions Default { get; } = new();

    /// <summary>Which retrievers run: both fused (default), or one alone.</summary>
    public RetrieverKind Retriever { get; init; } = RetrieverKind.Hybrid;

    /// <summary>How many candidates each retriever contributes before fusion (at least the number of results asked for). Default 50.</summary>
    public int CandidateDepth { get; init; } = 50;

    /// <summary>
    /// The k of reciprocal rank fusion: a candidate at rank r (from 1) scores weight / (k + r). Default 5 (chosen on the
    /// SciFact train split with <c>scripts/tune-fusion</c>; the customary 60 flattens the top ranks, which carry most of
    /// the signal here).
    /// </summary>
    public double RrfK { get; init; } = 5;

    /// <summary>Weight of the vector ranking in the fusion. Default 1.</summary>
    public double VectorWeight { get; init; } = 1.0;

    /// <summary>Weight of the full-text ranking in the fusion. Default 1.5 (chosen on the SciFact train split with the RRF k).</summary>
    public double LexicalWeight { get; init; } = 1.5;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(CandidateDepth, 1, nameof(CandidateDepth));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(CandidateDepth, 1000, nameof(CandidateDepth));
        if (!double.IsFinite(RrfK) || RrfK < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(RrfK), RrfK, "must be a finite number, 0 or more");
        }

        if (!double.IsFinite(VectorWeight) || VectorWeight < 0 || !double.IsFinite(LexicalWeight) || LexicalWeight < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(VectorWeight), $"{VectorWeight}/{LexicalWeight}", "weights must be finite and 0 or more");
        }
    }
}
