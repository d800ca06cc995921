namespace TenantRag.Rag.Ingestion.Extraction;

/// <summary>The documents extracted from one file, plus any non-fatal issues.</summary>
public sealed record ExtractionResult
{
    /// <summary>The extracted documents, in file order. Most formats yield exactly one.</summary>
    public required IReadOnlyList<ExtractedDocument> Documents { get; init; }

    /// <summary>Problems that did not stop extraction (for example skipped JSONL lines).</summary>
    public IReadOnlyList<ExtractionIssue> Issues { get; init; } = [];
}
