namespace TenantRag.Rag.Ingestion.Extraction;

/// <summary>A contiguous piece of a document's text, with the headings it sits under.</summary>
public sealed record DocumentSection
{
    /// <summary>The separator used between headings in <see cref="HeadingPath"/>.</summary>
    public const string HeadingSeparator = " > ";

    /// <summary>
    /// The headings enclosing this section, outermost first, joined with <see cref="HeadingSeparator"/>
    /// (for example "Install > Linux"); <see langword="null"/> when the section has no heading.
    /// </summary>
    public string? HeadingPath { get; init; }

    /// <summary>
    /// The plain text of the section. Paragraphs are separated by a blank line ("\n\n"), lines by "\n";
    /// no markup remains.
    /// </summary>
    public required string Text { get; init; }

    /// <summary>The 1-based page number for paginated formats (PDF); otherwise <see langword="null"/>.</summary>
    public int? PageNumber { get; init; }
}
