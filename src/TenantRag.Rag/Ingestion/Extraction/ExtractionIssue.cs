namespace TenantRag.Rag.Ingestion.Extraction;

/// <summary>A non-fatal problem found while extracting a file, for example one malformed line of a JSONL corpus.</summary>
public sealed record ExtractionIssue
{
    /// <summary>The 1-based line number the problem was found on, when the format is line based.</summary>
    public int? LineNumber { get; init; }

    /// <summary>What is wrong. Never contains document text.</summary>
    public required string Reason { get; init; }

    /// <inheritdoc />
    public override string ToString() => LineNumber is { } line ? $"line {line}: {Reason}" : Reason;
}
