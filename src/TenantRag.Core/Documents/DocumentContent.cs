namespace TenantRag.Documents;

/// <summary>A document the caller may see, with its extracted text.</summary>
public sealed record DocumentContent
{
    /// <summary>The document.</summary>
    public required DocumentSummary Document { get; init; }

    /// <summary>
    /// The text extraction made of it (the sections in order, each heading on a line of its own when it changes), or
    /// null for a document stored before TenantRag kept the text: ingesting its file again stores it.
    /// </summary>
    public string? Text { get; init; }
}
