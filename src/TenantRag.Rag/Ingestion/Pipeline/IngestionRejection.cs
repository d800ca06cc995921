namespace TenantRag.Rag.Ingestion.Pipeline;

/// <summary>A file or document that was not ingested, and why. Never holds document text.</summary>
public sealed record IngestionRejection
{
    /// <summary>The <see cref="Reason"/> of a document the store refused or could not reach.</summary>
    public const string StoreFailed = nameof(StoreFailed);

    /// <summary>The <see cref="Reason"/> of a document the embedding model failed on.</summary>
    public const string EmbeddingFailed = nameof(EmbeddingFailed);

    /// <summary>The <see cref="Reason"/> of a document whose step broke unexpectedly.</summary>
    public const string StepFailed = nameof(StepFailed);

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

    /// <summary>
    /// True when the document failed on the server's side, not because of its content: storing it failed
    /// (<c>StoreFailed</c>: the database refused or went away), embedding it failed (<c>EmbeddingFailed</c>), or a step
    /// broke (<c>StepFailed</c>). Nothing of the document was written; sending it again may succeed.
    /// </summary>
    public bool IsServerError => Reason is StoreFailed or EmbeddingFailed or StepFailed;

    /// <inheritdoc />
    public override string ToString() => $"{Source} ({Reason}): {Message}";
}
