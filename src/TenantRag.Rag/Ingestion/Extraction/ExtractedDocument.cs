namespace TenantRag.Rag.Ingestion.Extraction;

/// <summary>The text of one logical document extracted from a file.</summary>
public sealed record ExtractedDocument
{
    /// <summary>The document title (from metadata, the first heading, or the file name). Never empty.</summary>
    public required string Title { get; init; }

    /// <summary>The name of the file the document was extracted from.</summary>
    public required string SourceFileName { get; init; }

    /// <summary>
    /// An identifier assigned by the source, when the file holds many documents (for example the BEIR "_id");
    /// otherwise <see langword="null"/>.
    /// </summary>
    public string? ExternalId { get; init; }

    /// <summary>The sections in document order. Sections never have empty text.</summary>
    public required IReadOnlyList<DocumentSection> Sections { get; init; }

    /// <summary>
    /// The media type of the file it came from (<see cref="IDocumentExtractor.MediaType"/>); set by
    /// <see cref="DocumentExtractionService"/>, null before.
    /// </summary>
    public string? MediaType { get; init; }

    /// <summary>
    /// Bytes of its original: for one document of a multi-document file, its part (a <c>.jsonl</c> line, set by the
    /// extractor); otherwise the whole file (set by <see cref="DocumentExtractionService"/>).
    /// </summary>
    public long? ByteSize { get; init; }
}
