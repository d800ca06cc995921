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
    /// Measured on the SciFact corpus (10k chunks): the best match of 60 train questions scored 0.35 to 0.89 (median
    /// 0.66), of 12 off-topic questions 0.19 to 0.39 (median 0.24).
    /// </summary>
    public float MinVectorSimilarity { get; set; } = 0.30f;

    /// <summary>
    /// The relevance a sentence needs to go into an extractive answer (default 0.5): its cosine similarity with the
    /// question (embedded with its document's title and section heading) plus <see cref="LexicalOverlapWeight"/> times
    /// the share of question words it contains, plus a little for a better-ranked chunk (<see cref="InstructionWeight"/>
    /// orders the relevant ones and does not count here). When no sentence reaches it, the answer is "no answer": on a
    /// manual almost every question shares some word with some chunk, so this is the check that refuses questions it
    /// does not answer. On the Cargo Book (1,368 chunks) the best sentence of the 49 train questions scored 0.54 to 1.04,
    /// of 20 questions the book does not answer (sourdough, Kubernetes, pip, npm, SSH keys for GitHub...) 0.16 to 1.00
    /// (median 0.31): at 0.5 none of the 49 is refused and 16 of the 20 are (those quoted: pip, git commit, npm publish,
    /// and SSH keys, which the book's git authentication section does answer).
    /// </summary>
    public float MinSentenceScore { get; set; } = 0.5f;

    /// <summary>Weight of the question-word overlap in a sentence's score (default 0.3).</summary>
    public float LexicalOverlapWeight { get; set; } = 0.3f;

    /// <summary>
    /// Added to the score of a sentence that quotes code, an option or a command when the question asks how to do
    /// something (default 0.2): such questions are answered by an instruction, not by a sentence that only shares
    /// their words.
    /// </summary>
    public float InstructionWeight { get; set; } = 0.2f;

    /// <summary>
    /// How many candidate sentences are embedded and scored by meaning (default 12): the best by a cheap first ranking
    /// (question words in the sentence and its heading, code, chunk rank). Embedding is what an extractive answer
    /// costs, about one query's embedding per sentence.
    /// </summary>
    public int EmbeddedCandidates { get; set; } = 12;

    /// <summary>
    /// The fewest chunks an extractive answer reads (default 10): a question asked with a smaller <c>k</c> is searched
    /// for this many, and the answer quotes from any of them (citing only those it quotes). Reading more chunks costs
    /// next to nothing, since only <see cref="EmbeddedCandidates"/> sentences are embedded, and the sentence that answers
    /// is often in a chunk ranked 6th to 10th: on the Cargo Book set's train half the key fact was in the best 5 chunks for
    /// 32 of 49 questions, in the best 10 for 40. A generated answer's context stays the <c>k</c> chunks asked for.
    /// </summary>
    public int ExtractiveChunks { get; set; } = 10;

    /// <summary>The most sentences in an extractive answer (default 3).</summary>
    public int MaxSentences { get; set; } = 3;

    /// <summary>The most candidate sentences read for an extractive answer, taken from the best chunks first (default 160).</summary>
    public int MaxCandidateSentences { get; set; } = 160;

    /// <summary>Tokens of retrieved context packed into a chat prompt at most (default 2000).</summary>
    public int ContextTokenBudget { get; set; } = 2000;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Retrieval);
        Retrieval.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxSentences, 1, nameof(MaxSentences));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxCandidateSentences, MaxSentences, nameof(MaxCandidateSentences));
        ArgumentOutOfRangeException.ThrowIfLessThan(EmbeddedCandidates, MaxSentences, nameof(EmbeddedCandidates));
        ArgumentOutOfRangeException.ThrowIfLessThan(ExtractiveChunks, 1, nameof(ExtractiveChunks));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(ExtractiveChunks, SearchLimits.MaxResults, nameof(ExtractiveChunks));
        ArgumentOutOfRangeException.ThrowIfLessThan(ContextTokenBudget, 100, nameof(ContextTokenBudget));
        if (!float.IsFinite(MinVectorSimilarity) || !float.IsFinite(MinSentenceScore) || !float.IsFinite(LexicalOverlapWeight) || LexicalOverlapWeight < 0
            || !float.IsFinite(InstructionWeight) || InstructionWeight < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MinVectorSimilarity), "thresholds and weights must be finite (weights 0 or more)");
        }
    }
}
