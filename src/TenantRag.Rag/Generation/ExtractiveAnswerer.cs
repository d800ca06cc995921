using System.Globalization;
using System.Numerics.Tensors;
using System.Text;
using Microsoft.Extensions.AI;
using TenantRag.Rag.Retrieval.Search;

namespace TenantRag.Rag.Generation;

/// <summary>
/// Answers without a chat model: the sentences of the retrieved chunks that best answer the question, each followed
/// by the <c>[n]</c> of the chunk it comes from. Nothing is written that is not in a chunk.
/// </summary>
/// <remarks>
/// <para>
/// What may be quoted is read by <see cref="AnswerCandidates"/>: sentences, with the option they describe and the code
/// their colon introduces, and code blocks. All of them are ranked cheaply first: the share of question words they and
/// their section's heading contain, whether they carry code (for a question that asks how), and their chunk's rank.
/// The best <see cref="AnswerOptions.EmbeddedCandidates"/> are then embedded with their section's heading in front, and
/// each scores its cosine similarity with the question (same model as search) plus
/// <see cref="AnswerOptions.LexicalOverlapWeight"/> times the share of question words it contains, plus
/// <see cref="AnswerOptions.InstructionWeight"/> when it carries code and the question asks how, plus a small bonus for
/// a better-ranked chunk.
/// </para>
/// <para>
/// The best candidates scoring at least <see cref="AnswerOptions.MinSentenceScore"/> are quoted (at most
/// <see cref="AnswerOptions.MaxSentences"/>), chunk by chunk (best chunk first), in reading order within a chunk; when
/// none does, the answer is "no answer" rather than an unrelated sentence.
/// </para>
/// </remarks>
public sealed class ExtractiveAnswerer
{
    private const float RankBonus = 0.03f;
    private const int MaxEmbeddingThreads = 2;

    // The cheap first ranking: heading words count half as much as the candidate's own; code and rank break ties.
    private const float HeadingPriorWeight = 0.5f;
    private const float CodePriorWeight = 0.2f;
    private const float RankPriorWeight = 0.1f;

    private readonly IEmbeddingGenerator<string, Embedding<float>> _embeddings;
    private readonly AnswerOptions _options;

    /// <summary>Creates the answerer.</summary>
    /// <param name="embeddings">Embeds the question and the candidate sentences.</param>
    /// <param name="options">Thresholds and sizes; null for the defaults.</param>
    public ExtractiveAnswerer(IEmbeddingGenerator<string, Embedding<float>> embeddings, AnswerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        options ??= new AnswerOptions();
        options.Validate();
        _embeddings = embeddings;
        _options = options;
    }

    /// <summary>Builds the answer from <paramref name="hits"/> (best first), or a "no answer" when no sentence supports the question.</summary>
    public Task<Answer> AnswerAsync(string question, IReadOnlyList<SearchHit> hits, CancellationToken cancellationToken = default) =>
        AnswerAsync(question, null, hits, cancellationToken);

    /// <summary>
    /// Builds the answer from <paramref name="hits"/> (best first) with the question's vector already at hand (the
    /// search's, from its cache), or a "no answer" when no sentence supports the question.
    /// </summary>
    /// <param name="question">The question.</param>
    /// <param name="questionVector">The question's embedding by this answerer's model; null (or empty) to embed it here.</param>
    /// <param name="hits">The retrieved chunks, best first.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    public async Task<Answer> AnswerAsync(string question, ReadOnlyMemory<float>? questionVector, IReadOnlyList<SearchHit> hits, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(question);
        ArgumentNullException.ThrowIfNull(hits);
        var candidates = AnswerCandidates.From(hits, _options.MaxCandidateSentences);
        if (candidates.Count == 0)
        {
            return NoAnswer(question, "the passages found have no complete sentence to quote");
        }

        var questionTerms = QuestionTerms.Of(question);
        var howTo = QuestionTerms.AsksHowTo(question);
        var shortlist = Shortlist(candidates, questionTerms, howTo);
        var vectors = await EmbedAsync(question, questionVector, shortlist, cancellationToken).ConfigureAwait(false);
        // Relevance decides whether a candidate may be quoted at all; being an instruction only orders the relevant ones,
        // so a question nothing answers is not answered with the nearest command.
        var scored = new List<(AnswerCandidate Candidate, float Relevance, float Score)>(shortlist.Count);
        for (var i = 0; i < shortlist.Count; i++)
        {
            var candidate = shortlist[i];
            var similarity = TensorPrimitives.Dot(vectors[0], vectors[i + 1]);
            var overlap = QuestionTerms.Overlap(questionTerms, candidate.Terms);
            var relevance = similarity + (_options.LexicalOverlapWeight * overlap) + (RankBonus / (candidate.HitIndex + 1));
            scored.Add((candidate, relevance, relevance + (howTo ? _options.InstructionWeight * candidate.Instruction : 0f)));
        }

        var best = scored.Max(s => s.Relevance);
        var chosen = scored.Where(s => s.Relevance >= _options.MinSentenceScore).OrderByDescending(s => s.Score).Take(_options.MaxSentences).ToList();
        if (chosen.Count == 0)
        {
            return NoAnswer(question, string.Create(CultureInfo.InvariantCulture,
                $"no sentence of the passages found supports the question well enough (best score {best:F2}, needed {_options.MinSentenceScore:F2})"));
        }

        // Number the chunks by their best chosen sentence; then write chunk by chunk, in reading order inside each.
        var numbers = new Dictionary<int, int>();
        foreach (var (candidate, _, _) in chosen)
        {
            numbers.TryAdd(candidate.HitIndex, numbers.Count + 1);
        }

        // A quote with a block of code stands on lines of its own.
        var text = new StringBuilder();
        var lastHadBlock = false;
        foreach (var (candidate, _, _) in chosen.OrderBy(c => numbers[c.Candidate.HitIndex]).ThenBy(c => c.Candidate.Position))
        {
            var hasBlock = candidate.Text.Contains('\n', StringComparison.Ordinal);
            if (text.Length > 0)
            {
                text.Append(hasBlock || lastHadBlock ? '\n' : ' ');
            }

            text.Append(candidate.Text).Append(" [").Append(numbers[candidate.HitIndex]).Append(']');
            lastHadBlock = hasBlock;
        }

        var citations = numbers.OrderBy(n => n.Value).Select(n => ToCitation(n.Value, hits[n.Key])).ToList();
        return new Answer { Question = question, Text = text.ToString(), Citations = citations, Mode = AnswerMode.Extractive };
    }

    /// <summary>The citation of a search hit under number <paramref name="number"/>.</summary>
    public static Citation ToCitation(int number, SearchHit hit)
    {
        ArgumentNullException.ThrowIfNull(hit);
        return new Citation
        {
            Number = number,
            DocumentTitle = hit.Chunk.DocumentTitle,
            DocumentId = hit.Chunk.DocumentId,
            ExternalId = hit.Chunk.ExternalId,
            ChunkOrdinal = hit.Chunk.Ordinal,
            ChunkId = hit.Chunk.Id,
            Passage = hit.Chunk.Content,
        };
    }

    // Embedding is what an answer costs: only the candidates that rank best cheaply are embedded.
    private List<AnswerCandidate> Shortlist(List<AnswerCandidate> candidates, HashSet<string> questionTerms, bool howTo)
    {
        if (candidates.Count <= _options.EmbeddedCandidates)
        {
            return candidates;
        }

        return candidates
            .Select((candidate, index) => (Candidate: candidate, Index: index, Prior:
                QuestionTerms.Overlap(questionTerms, candidate.Terms)
                + (HeadingPriorWeight * QuestionTerms.Overlap(questionTerms, candidate.HeadingTerms))
                + (howTo ? CodePriorWeight * candidate.Instruction : 0f)
                + (RankPriorWeight / (candidate.HitIndex + 1))))
            .OrderByDescending(c => c.Prior)
            .ThenBy(c => c.Index)
            .Take(_options.EmbeddedCandidates)
            .Select(c => c.Candidate)
            .ToList();
    }

    // The question's vector first, then each candidate's, all unit length. Candidates are embedded one at a time (a batch
    // pads every input to the longest, which on the CPU costs more than the runs it saves), two at once: on the 2-core
    // machine 12 candidates took 42 ms on two threads, 77 ms on one and 106 ms as one batch (load average 3).
    private async Task<float[][]> EmbedAsync(string question, ReadOnlyMemory<float>? questionVector, List<AnswerCandidate> shortlist, CancellationToken cancellationToken)
    {
        var vectors = new float[shortlist.Count + 1][];
        vectors[0] = questionVector is { Length: > 0 } known ? Normalised(known.Span) : await EmbedOneAsync(question, cancellationToken).ConfigureAwait(false);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Min(MaxEmbeddingThreads, Environment.ProcessorCount), CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(Enumerable.Range(0, shortlist.Count), parallel, async (i, ct) =>
            vectors[i + 1] = await EmbedOneAsync(shortlist[i].Context, ct).ConfigureAwait(false)).ConfigureAwait(false);
        return vectors;
    }

    private async Task<float[]> EmbedOneAsync(string text, CancellationToken cancellationToken)
    {
        var generated = await _embeddings.GenerateAsync([text], cancellationToken: cancellationToken).ConfigureAwait(false);
        return Normalised(generated[0].Vector.Span);
    }

    private static float[] Normalised(ReadOnlySpan<float> vector)
    {
        var copy = vector.ToArray();
        var norm = TensorPrimitives.Norm(copy);
        if (norm > 0f && float.IsFinite(norm))
        {
            TensorPrimitives.Divide(copy, norm, copy);
        }

        return copy;
    }

    private static Answer NoAnswer(string question, string reason) =>
        new() { Question = question, Text = string.Empty, Citations = [], Mode = AnswerMode.None, NoAnswerReason = reason };
}
