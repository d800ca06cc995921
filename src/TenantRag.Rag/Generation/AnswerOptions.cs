using TenantRag.Rag.Retrieval.Search;

namespace TenantRag.Rag.Generation;

/// <summary>Settings of <see cref="AnswerService"/>.</summary>
public sealed class AnswerOptions
{
    /// <summary>How retrieval runs for a question (default: hybrid).</summary>
    public RetrievalOptions Retrieval { get; set; } = RetrievalOptions.Default;

    /// <summary>
    /// Cosine similarity (all-MiniLM-L6-v2) below which the best vector match does not count as relevant (default
    /// 0.30). A question gets "no answer" when no chunk shares a word with it and no chunk is at least this similar.
    /// Measured on SciFact: relevant top matches of train questions score 0.45 to 0.85, off-topic questions 0.05 to 0.25.
    /// </summary>
    public float MinVectorSimilarity { get; set; } = 0.30f;

    /// <summary>
    /// The score a sentence needs to go into an extractive answer (default 0.35): its cosine similarity with the
    /// question plus <see cref="LexicalOverlapWeight"/> times the share of question words it contains. When no
    /// sentence reaches it, the answer is "no answer".
    /// </summary>
    public float MinSentenceScore { get; set; } = 0.35f;

    /// <summary>Weight of the question-word overlap in a sentence's score (default 0.3).</summary>
    public float LexicalOverlapWeight { get; set; } = 0.3f;

    /// <summary>The most sentences in an extractive answer (default 3).</summary>
    public int MaxSentences { get; set; } = 3;

    /// <summary>The most candidate sentences scored for an extractive answer, taken from the best chunks first (default 64).</summary>
    public int MaxCandidateSentences { get; set; } = 64;

    /// <summary>Tokens of retrieved context packed into a chat prompt at most (default 2000).</summary>
    public int ContextTokenBudget { get; set; } = 2000;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Retrieval);
        Retrieval.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxSentences, 1, nameof(MaxSentences));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxCandidateSentences, MaxSentences, nameof(MaxCandidateSentences));
        ArgumentOutOfRangeException.ThrowIfLessThan(ContextTokenBudget, 100, nameof(ContextTokenBudget));
        if (!float.IsFinite(MinVectorSimilarity) || !float.IsFinite(MinSentenceScore) || !float.IsFinite(LexicalOverlapWeight) || LexicalOverlapWeight < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MinVectorSimilarity), "thresholds and weights must be finite (weights 0 or more)");
        }
    }
}
