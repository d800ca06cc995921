namespace TenantRag.Rag.Ingestion.Pipeline;

/// <summary>
/// One named step of ingestion (<c>extract</c>, <c>chunk</c>, <c>embed</c>, <c>store</c>). A step reads and writes the
/// artifacts of an <see cref="IngestionJob"/> and is idempotent: run again on a job it already served, it does nothing
/// and succeeds.
/// </summary>
public interface IIngestionStep
{
    /// <summary>The step's name, recorded in <see cref="IngestionJob.FinishedSteps"/> when it succeeds.</summary>
    string Name { get; }

    /// <summary>Runs the step on <paramref name="job"/>.</summary>
    /// <param name="job">The job; its artifacts are updated in place.</param>
    /// <param name="cancellationToken">Cancels the step; a cancelled store leaves nothing behind.</param>
    /// <returns>Whether the job may go on, should be retried, or has failed for good.</returns>
    Task<IngestionStepResult> ExecuteAsync(IngestionJob job, CancellationToken cancellationToken);
}
