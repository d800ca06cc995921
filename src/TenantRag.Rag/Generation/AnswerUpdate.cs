namespace TenantRag.Rag.Generation;

/// <summary>
/// One step of a streamed answer: first the numbered sources the answer may cite (<see cref="Sources"/>), then pieces
/// of text (<see cref="Text"/>), and last the finished answer (<see cref="Completed"/>). A "no answer" comes as a
/// single <see cref="Completed"/> update.
/// </summary>
public sealed record AnswerUpdate
{
    /// <summary>The numbered sources, before any text; the text's <c>[n]</c> markers refer to them.</summary>
    public IReadOnlyList<Citation>? Sources { get; init; }

    /// <summary>The next piece of the answer text.</summary>
    public string? Text { get; init; }

    /// <summary>The finished answer (its citations are the sources the text actually cites).</summary>
    public Answer? Completed { get; init; }
}
