namespace TenantRag.Rag.Evaluation;

/// <summary>The figures of a question set's run, over its questions.</summary>
public sealed record AnswerQuality
{
    /// <summary>Share of the questions whose page was among the first three (hit@3).</summary>
    public required double Top3 { get; init; }

    /// <summary>Share of the questions whose answer states the key fact; null when no answers were asked for.</summary>
    public double? KeyFact { get; init; }

    /// <summary>Share of the answers given (not "not found") in which every sentence carries a citation; null without answers.</summary>
    public double? EverySentenceCited { get; init; }

    /// <summary>Questions answered "not found"; null without answers.</summary>
    public int? NotFound { get; init; }

    /// <summary>Answer latency percentiles (the answer's own search included); null without answers.</summary>
    public LatencyPercentiles? AnswerLatencyMs { get; init; }

    /// <summary>The figures of <paramref name="questions"/> (at least one).</summary>
    public static AnswerQuality Of(IReadOnlyCollection<QuestionResult> questions)
    {
        ArgumentNullException.ThrowIfNull(questions);
        ArgumentOutOfRangeException.ThrowIfZero(questions.Count);
        var top3 = Math.Round(questions.Average(q => q.Top3 ? 1.0 : 0.0), 4);
        var answered = questions.Where(q => q.Answered is not null).ToList();
        if (answered.Count == 0)
        {
            return new AnswerQuality { Top3 = top3 };
        }

        var given = answered.Where(q => q.Answered == true).ToList();
        var latency = LatencyPercentiles.Of(answered.Select(q => q.AnswerMs ?? 0));
        return new AnswerQuality
        {
            Top3 = top3,
            KeyFact = Math.Round(answered.Average(q => q.KeyFactFound == true ? 1.0 : 0.0), 4),
            EverySentenceCited = given.Count == 0 ? 0 : Math.Round(given.Average(q => q.EverySentenceCited == true ? 1.0 : 0.0), 4),
            NotFound = answered.Count - given.Count,
            AnswerLatencyMs = new LatencyPercentiles(Math.Round(latency.P50, 2), Math.Round(latency.P95, 2)),
        };
    }
}
