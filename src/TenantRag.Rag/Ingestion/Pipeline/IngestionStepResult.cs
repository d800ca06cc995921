namespace TenantRag.Rag.Ingestion.Pipeline;

/// <summary>The result of one <see cref="IIngestionStep.ExecuteAsync"/>: a kind and, for failures, a reason and a message.</summary>
/// <param name="Kind">Success, retriable or fatal.</param>
/// <param name="Reason">For failures, a short stable code (e.g. <c>Corrupt</c>, <c>StoreFailed</c>).</param>
/// <param name="Message">For failures, what went wrong and what to do; never document text.</param>
public readonly record struct IngestionStepResult(IngestionStepResultKind Kind, string? Reason = null, string? Message = null)
{
    /// <summary>The step is done.</summary>
    public static IngestionStepResult Success { get; } = new(IngestionStepResultKind.Success);

    /// <summary>The step failed in a way that may pass; it is run again after a delay.</summary>
    public static IngestionStepResult Retriable(string reason, string message) => new(IngestionStepResultKind.Retriable, reason, message);

    /// <summary>The step failed for good; the job is reported and the run goes on with the other jobs.</summary>
    public static IngestionStepResult Fatal(string reason, string message) => new(IngestionStepResultKind.Fatal, reason, message);
}
