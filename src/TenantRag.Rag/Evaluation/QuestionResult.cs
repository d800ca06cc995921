using System.Text.Json.Serialization;
using TenantRag.Rag.Generation;

namespace TenantRag.Rag.Evaluation;

/// <summary>
/// How one question of a question set did: where its page ranked and, when it was answered, what the answer said and
/// whether it states the key fact. One entry of <c>questions</c> in <c>tenantrag eval --json</c>.
/// </summary>
public sealed record QuestionResult
{
    /// <summary>The number of pages that count as a hit at the top (hit@3).</summary>
    public const int TopCutOff = 3;

    /// <summary>The question id.</summary>
    public required string Id { get; init; }

    /// <summary>The question as asked.</summary>
    public required string Question { get; init; }

    /// <summary>The page that answers it.</summary>
    public required string Page { get; init; }

    /// <summary>Other pages that answer it as well.</summary>
    public required IReadOnlyList<string> AlsoPages { get; init; }

    /// <summary>The section of <see cref="Page"/> that answers it.</summary>
    public required string Section { get; init; }

    /// <summary>
    /// Rank (from 1) of the first page that answers the question (<see cref="Page"/> or one of <see cref="AlsoPages"/>)
    /// among the pages the search returned (the first 10), or null when none is among them.
    /// </summary>
    public int? Rank { get; init; }

    /// <summary>The page at <see cref="Rank"/>; null when none was found.</summary>
    public string? FoundPage { get; init; }

    /// <summary>True when a page that answers the question is among the first <see cref="TopCutOff"/> pages.</summary>
    public bool Top3 => Rank <= TopCutOff;

    /// <summary>Milliseconds of the search, query embedding included.</summary>
    public required double SearchMs { get; init; }

    /// <summary>The pages the search returned, best first.</summary>
    public required IReadOnlyList<string> Ranking { get; init; }

    /// <summary>True when an answer was given, false for "not found"; null when answers were not asked for.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? Answered { get; init; }

    /// <summary>The answer's text with its <c>[n]</c> markers (empty for "not found").</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Answer { get; init; }

    /// <summary>Why there is no answer, for "not found".</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? NoAnswerReason { get; init; }

    /// <summary>True when the answer states the key fact.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? KeyFactFound { get; init; }

    /// <summary>The key fact's phrasings.</summary>
    public required IReadOnlyList<string> KeyFacts { get; init; }

    /// <summary>True when every sentence of the answer carries a citation (false for "not found").</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? EverySentenceCited { get; init; }

    /// <summary>The titles of the documents the answer cites, in citation order.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? Citations { get; init; }

    /// <summary>Milliseconds from the question to the finished answer (its own search included).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? AnswerMs { get; init; }

    /// <summary>The result of <paramref name="query"/>, whose search gave <paramref name="retrieval"/>, answered by <paramref name="answer"/> (if asked for).</summary>
    public static QuestionResult Of(BeirQuery query, AnswerKey key, QueryEvaluation retrieval, Answer? answer, double? answerMs)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(retrieval);
        var ranking = retrieval.Ranking.Take(QueryEvaluation.CutOff).ToList();
        var answering = key.AnsweringPages.ToHashSet(StringComparer.Ordinal);
        var found = ranking.FindIndex(answering.Contains);
        var result = new QuestionResult
        {
            Id = query.Id,
            Question = query.Text,
            Page = key.Page,
            AlsoPages = key.AlsoPages,
            Section = key.Section,
            Rank = found >= 0 ? found + 1 : null,
            FoundPage = found >= 0 ? ranking[found] : null,
            SearchMs = retrieval.LatencyMs,
            Ranking = ranking,
            KeyFacts = key.KeyFacts,
        };
        return answer is null ? result : result with
        {
            Answered = answer.IsAnswered,
            Answer = answer.Text,
            NoAnswerReason = answer.NoAnswerReason,
            KeyFactFound = answer.IsAnswered && Evaluation.KeyFacts.FindIn(answer.Text, key.KeyFacts) is not null,
            EverySentenceCited = answer.IsAnswered && CitationCoverage.EverySentenceCited(answer.Text),
            Citations = [.. answer.Citations.Select(c => c.DocumentTitle)],
            AnswerMs = answerMs,
        };
    }
}
