namespace TenantRag.Rag.Ingestion.Pipeline;

/// <summary>A file or document that was not ingested, and why. Never holds document text.</summary>
public sealed record IngestionRejection
{
    /// <summary>The source key of the file or document (e.g. <c>guides/install.md</c> or <c>corpus.jsonl#4983</c>).</summary>
    public required string Source { get; init; }

    /// <summary>The step that failed (<c>extract</c>, <c>chunk</c>, <c>embed</c>, <c>store</c>).</summary>
    public required string Step { get; init; }

    /// <summary>
    /// A short stable code: a <see cref="DocumentRejectionReason"/> name for files refused by extraction, or
    /// <c>DuplicateSource</c>, <c>EmbeddingFailed</c>, <c>StoreFailed</c>, <c>StepFailed</c>.
    /// </summary>
    public required string Reason { get; init; }

    /// <summary>What went wrong and what to do, in one line.</summary>
    public required string Message { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"{Source} ({Reason}): {Message}";
}
