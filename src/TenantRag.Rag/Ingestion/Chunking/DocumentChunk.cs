namespace TenantRag.Rag.Ingestion.Chunking;

/// <summary>
/// A piece of a document sized for embedding. The text is an exact slice of the section text
/// (<c>Sections[SectionIndex].Text[StartOffset..EndOffset]</c>) unless the chunk merges several small sections,
/// in which case the section slices are joined with a blank line and <see cref="EndOffset"/> refers to
/// <see cref="LastSectionIndex"/>'s text.
/// </summary>
public sealed record DocumentChunk
{
    /// <summary>The 0-based position of the chunk within its document.</summary>
    public required int Ordinal { get; init; }

    /// <summary>The chunk text.</summary>
    public required string Text { get; init; }

    /// <summary>The number of tokens in <see cref="Text"/> as measured by the chunker's token counter.</summary>
    public required int TokenCount { get; init; }

    /// <summary>The title of the document the chunk comes from.</summary>
    public required string DocumentTitle { get; init; }

    /// <summary>The heading path of the (first) section the chunk comes from, or <see langword="null"/>.</summary>
    public string? HeadingPath { get; init; }

    /// <summary>The page number of the (first) section, for paginated formats.</summary>
    public int? PageNumber { get; init; }

    /// <summary>The index of the section the chunk starts in.</summary>
    public required int SectionIndex { get; init; }

    /// <summary>The index of the section the chunk ends in; equals <see cref="SectionIndex"/> unless sections were merged.</summary>
    public required int LastSectionIndex { get; init; }

    /// <summary>The character offset where the chunk starts in the text of section <see cref="SectionIndex"/>.</summary>
    public required int StartOffset { get; init; }

    /// <summary>The exclusive character offset where the chunk ends in the text of section <see cref="LastSectionIndex"/>.</summary>
    public required int EndOffset { get; init; }
}
