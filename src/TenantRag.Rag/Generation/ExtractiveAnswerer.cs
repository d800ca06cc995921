using System.Globalization;
using System.Numerics.Tensors;
using System.Text;
using Microsoft.Extensions.AI;
using TenantRag.Rag.Retrieval.Search;

namespace TenantRag.Rag.Generation;

/// <summary>
/// Answers without a chat model: the sentences of the retrieved chunks that best support the question, each followed
/// by the <c>[n]</c> of the chunk it comes from. Nothing is written that is not in a chunk.
/// </summary>
/// <remarks>
/// A sentence scores its cosine similarity with the question (same embedding model as search) plus
/// <see cref="AnswerOptions.LexicalOverlapWeight"/> times the share of question words it contains, plus a small bonus
/// for coming from a better-ranked chunk. The best sentences above <see cref="AnswerOptions.MinSentenceScore"/> are
/// kept; the answer lists them chunk by chunk (best chunk first), in reading order within a chunk.
/// </remarks>
public sealed class ExtractiveAnswerer
{
    private const int MinSentenceWords = 4;
    private const float RankBonus = 0.03f;

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
    public async Task<Answer> AnswerAsync(string question, IReadOnlyList<SearchHit> hits, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(question);
        ArgumentNullException.ThrowIfNull(hits);
        var candidates = Candidates(hits);
        if (candidates.Count == 0)
        {
            return NoAnswer(question, "the passages found have no complete sentence to quote");
        }

        var vectors = await _embeddings.GenerateAsync([question, .. candidates.Select(c => c.Text)], cancellationToken: cancellationToken).ConfigureAwait(false);
        var questionVector = Normalised(vectors[0].Vector.Span);
        var questionTerms = QuestionTerms.Of(question);
        var scored = new List<(Candidate Candidate, float Score)>(candidates.Count);
        for (var i = 0; i < candidates.Count; i++)
        {
            var candidate = candidates[i];
            var similarity = TensorPrimitives.Dot(questionVector, Normalised(vectors[i + 1].Vector.Span));
            var overlap = QuestionTerms.Overlap(questionTerms, QuestionTerms.Of(candidate.Text));
            scored.Add((candidate, similarity + (_options.LexicalOverlapWeight * overlap) + (RankBonus / (candidate.HitIndex + 1))));
        }

        scored.Sort(static (a, b) => b.Score.CompareTo(a.Score));
        var chosen = scored.Where(s => s.Score >= _options.MinSentenceScore).Take(_options.MaxSentences).ToList();
        if (chosen.Count == 0)
        {
            return NoAnswer(question, string.Create(CultureInfo.InvariantCulture,
                $"no sentence of the passages found supports the question well enough (best score {scored[0].Score:F2}, needed {_options.MinSentenceScore:F2})"));
        }

        // Number the chunks by their best chosen sentence; then write chunk by chunk, in reading order inside each.
        var numbers = new Dictionary<int, int>();
        foreach (var (candidate, _) in chosen)
        {
            numbers.TryAdd(candidate.HitIndex, numbers.Count + 1);
        }

        var text = new StringBuilder();
        foreach (var (candidate, _) in chosen.OrderBy(c => numbers[c.Candidate.HitIndex]).ThenBy(c => c.Candidate.Position))
        {
            if (text.Length > 0)
            {
                text.Append(' ');
            }

            text.Append(candidate.Text).Append(" [").Append(numbers[candidate.HitIndex]).Append(']');
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

    private List<Candidate> Candidates(IReadOnlyList<SearchHit> hits)
    {
        // Overlapping chunks repeat sentences: each distinct sentence is scored once, for the better-ranked chunk.
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var candidates = new List<Candidate>();
        for (var h = 0; h < hits.Count && candidates.Count < _options.MaxCandidateSentences; h++)
        {
            var sentences = SentenceSplitter.Split(hits[h].Chunk.Content);
            for (var s = 0; s < sentences.Count && candidates.Count < _options.MaxCandidateSentences; s++)
            {
                var sentence = sentences[s];
                if (sentence.Split(' ').Length >= MinSentenceWords && seen.Add(sentence))
                {
                    candidates.Add(new Candidate(sentence, h, s));
                }
            }
        }

        return candidates;
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

    private sealed record Candidate(string Text, int HitIndex, int Position);
}
