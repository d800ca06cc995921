namespace TenantRag.Rag.Ingestion.Pipeline;

/// <summary>A non-fatal problem in a file that was otherwise ingested (e.g. a malformed line of a <c>.jsonl</c> corpus, skipped).</summary>
/// <param name="Source">The file's source key.</param>
/// <param name="Issue">What was skipped and why (never document text).</param>
public sealed record IngestionFileIssue(string Source, string Issue)
{
    /// <inheritdoc />
    public override string ToString() => $"{Source}: {Issue}";
}
