using System.Globalization;
using TenantRag.Documents;

namespace TenantRag.Rag.Ingestion.Pipeline.Steps;

/// <summary>
/// <c>chunk</c>: hashes the document and, when the stored hash for its source is the same, completes the job as
/// <see cref="StoreOutcome.Unchanged"/> (nothing is embedded or written); otherwise cuts it into chunks with their
/// headings, embedding texts and chunk hashes.
/// </summary>
internal sealed class ChunkStep(IngestionRun run) : IIngestionStep
{
    public const string StepName = "chunk";

    public string Name => StepName;

    public async Task<IngestionStepResult> ExecuteAsync(IngestionJob job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (job.Chunks is not null || job.IsComplete)
        {
            return IngestionStepResult.Success;
        }

        if (job.Document is not { } document)
        {
            return IngestionStepResult.Fatal(IngestionRejection.StepFailed, "the job has no extracted document; run extract first");
        }

        var pipeline = run.Pipeline;
        job.ContentHash ??= IngestionHashing.Document(pipeline.Recipe, job.Visibility, document);
        if (!job.StoredContentHashKnown)
        {
            job.StoredContentHash = await run.DatabaseAsync(token => pipeline.Documents.FindContentHashAsync(job.Context, job.Source, token)).ConfigureAwait(false);
            job.StoredContentHashKnown = true;
        }

        if (job.StoredContentHash == job.ContentHash)
        {
            job.Outcome = StoreOutcome.Unchanged;
            return IngestionStepResult.Success;
        }

        var chunks = pipeline.PrepareChunks(document, cancellationToken);
        if (chunks.Length == 0)
        {
            return IngestionStepResult.Fatal(nameof(DocumentRejectionReason.NoExtractableText), "the document has no text to chunk");
        }

        var limit = pipeline.Options.Extraction.MaxChunksPerDocument;
        if (chunks.Length > limit)
        {
            return IngestionStepResult.Fatal(nameof(DocumentRejectionReason.TooManyChunks), string.Create(CultureInfo.InvariantCulture,
                $"the document makes {chunks.Length:N0} chunks, more than the {limit:N0} one document may make; split it, or raise the setting Ingestion:{nameof(IngestionOptions.MaxChunksPerDocument)}"));
        }

        job.Chunks = chunks;
        run.ChunksPlanned(chunks.Length);
        return IngestionStepResult.Success;
    }
}
