namespace TenantRag.Rag.Generation;

/// <summary>An answer to a question with its numbered citations, or a "no answer" with the reason.</summary>
public sealed record Answer
{
    /// <summary>The question as asked.</summary>
    public required string Question { get; init; }

    /// <summary>The answer text; each claim is followed by <c>[n]</c> markers that refer to <see cref="Citations"/>. Empty when there is no answer.</summary>
    public required string Text { get; init; }

    /// <summary>The cited sources, in number order.</summary>
    public required IReadOnlyList<Citation> Citations { get; init; }

    /// <summary>How the answer was made; <see cref="AnswerMode.None"/> when nothing relevant was found.</summary>
    public required AnswerMode Mode { get; init; }

    /// <summary>Why there is no answer (for <see cref="AnswerMode.None"/>), in one sentence; otherwise null.</summary>
    public string? NoAnswerReason { get; init; }

    /// <summary>True when an answer was given.</summary>
    public bool IsAnswered => Mode != AnswerMode.None;

    /// <summary>Wall time from the question to the finished answer, in milliseconds.</summary>
    public double ElapsedMs { get; init; }
}
