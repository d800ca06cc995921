namespace TenantRag.Rag.Ingestion.Pipeline.Steps;

/// <summary>
/// <c>embed</c>: gives every chunk a vector, reusing stored vectors of identical chunks (same text, same model) and
/// embedding the rest together with other documents' chunks (see <see cref="EmbeddingBatcher"/>).
/// </summary>
internal sealed class EmbedStep(IngestionRun run) : IIngestionStep
{
    public const string StepName = "embed";

    public string Name => StepName;

    public async Task<IngestionStepResult> ExecuteAsync(IngestionJob job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (job.IsComplete || job.Chunks is { } done && done.All(c => c.Embedding is not null))
        {
            return IngestionStepResult.Success;
        }

        if (job.Chunks is not { } chunks)
        {
            return IngestionStepResult.Fatal(IngestionRejection.StepFailed, "the job has no chunks; run chunk first");
        }

        ReadOnlyMemory<float>[] vectors;
        try
        {
            vectors = await run.Embedder.EmbedAsync(chunks).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && !StepErrors.StopsRun(ex))
        {
            return StepErrors.ToResult(ex, IngestionRejection.EmbeddingFailed, "embedding failed");
        }

        job.Chunks = [.. chunks.Select((chunk, i) => chunk with { Embedding = vectors[i] })];
        return IngestionStepResult.Success;
    }
}
