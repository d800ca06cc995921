namespace TenantRag.Rag.Generation;

/// <summary>
/// One thing an extractive answer may quote: a sentence of a passage, with the option it describes in front and the code
/// its colon introduces behind, or a code block on its own.
/// </summary>
internal sealed record AnswerCandidate
{
    /// <summary>The text as the answer quotes it (code in backticks); one sentence as <see cref="SentenceSplitter"/> reads it.</summary>
    public required string Text { get; init; }

    /// <summary>What is embedded to compare with the question: the document's title and section heading, then the sentence (code left out).</summary>
    public required string Context { get; init; }

    /// <summary>The content words of <see cref="Text"/>.</summary>
    public required HashSet<string> Terms { get; init; }

    /// <summary>The content words of the section's (innermost) heading.</summary>
    public required HashSet<string> HeadingTerms { get; init; }

    /// <summary>Index of the search hit (best first) whose passage holds it.</summary>
    public required int HitIndex { get; init; }

    /// <summary>Reading order within that passage.</summary>
    public required int Position { get; init; }

    /// <summary>
    /// How much it reads as an instruction, what a how-to question asks for: 1 when it quotes a command, an option or
    /// configuration (a code block, an option in front), 0.5 when its sentence names one (a flag, a path, a key), else 0.
    /// </summary>
    public required float Instruction { get; init; }
}
