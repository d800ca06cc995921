namespace TenantRag.Rag.Ingestion.Pipeline.Steps;

/// <summary>
/// <c>extract</c>: reads a file and extracts its documents, in one of the pipeline's extraction slots; a bad file (or
/// one over a limit) is a fatal result with the reason.
/// </summary>
internal sealed class ExtractStep(IngestionRun run) : IIngestionStep
{
    public const string StepName = "extract";

    public string Name => StepName;

    public async Task<IngestionStepResult> ExecuteAsync(IngestionJob job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (job.Extraction is not null || job.Document is not null)
        {
            return IngestionStepResult.Success;
        }

        try
        {
            // One file per tenant at a time, tenants in turn: another tenant's large file never holds this one up for long.
            using var slot = await run.Pipeline.ExtractionSlots.EnterAsync(job.Context.Tenant.Value, cancellationToken).ConfigureAwait(false);
            var stream = job.Input.OpenRead();
            await using (stream.ConfigureAwait(false))
            {
                job.Extraction = await run.Pipeline.Extraction.ExtractAsync(stream, job.Input.FileName, cancellationToken).ConfigureAwait(false);
            }

            if (job.Input.Title is { } title)
            {
                job.Extraction = job.Extraction with { Documents = [.. job.Extraction.Documents.Select(d => d with { Title = title })] };
            }

            return IngestionStepResult.Success;
        }
        catch (DocumentRejectedException ex)
        {
            return IngestionStepResult.Fatal(ex.Reason.ToString(), ex.Detail);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return IngestionStepResult.Fatal("Unreadable", $"the file could not be read ({StepErrors.Describe(ex)}); check that it exists and is readable");
        }
    }
}
