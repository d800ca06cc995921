using TenantRag.Documents;
using TenantRag.Rag.Ingestion.Extraction;

namespace TenantRag.Rag.Ingestion.Pipeline.Steps;

/// <summary>
/// <c>store</c>: writes the document and its chunks in one transaction (<see cref="IDocumentRepository.StoreAsync"/>):
/// added, replaced atomically, or unchanged. A failure or a cancellation leaves no half document.
/// </summary>
internal sealed class StoreStep(IngestionRun run) : IIngestionStep
{
    public const string StepName = "store";

    /// <summary>The longest title the store accepts (characters).</summary>
    private const int MaxTitleLength = 1000;

    public string Name => StepName;

    public async Task<IngestionStepResult> ExecuteAsync(IngestionJob job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (job.IsComplete)
        {
            return IngestionStepResult.Success;
        }

        if (job.Document is not { } document || job.Chunks is not { } chunks || job.ContentHash is not { } hash)
        {
            return IngestionStepResult.Fatal(IngestionRejection.StepFailed, "the job has no chunks to store; run chunk and embed first");
        }

        var pipeline = run.Pipeline;
        var newDocument = new NewDocument
        {
            Title = ChunkText.Cut(document.Title, MaxTitleLength),
            Source = job.Source,
            ExternalId = document.ExternalId,
            ContentHash = hash,

            // As extraction read them: the file's media type, and the size of the file (or of the corpus line) it read.
            ContentType = document.MediaType ?? "application/octet-stream",
            ByteSize = document.ByteSize ?? 0,
            FileName = job.Input.IsFile ? job.Input.FileName : null,
            Text = DocumentText.Of(document),
            Visibility = job.Visibility,
        };
        var newChunks = chunks.Select(c => new NewChunk
        {
            Ordinal = c.Ordinal,
            Heading = c.Heading,
            Content = c.Content,
            TokenCount = c.TokenCount,
            ContentHash = c.ContentHash,
            Embedding = c.Embedding,
        }).ToList();

        try
        {
            var (id, outcome) = await run.DatabaseAsync(token => pipeline.Documents.StoreAsync(job.Context, newDocument, newChunks, pipeline.Model, token)).ConfigureAwait(false);
            job.DocumentId = id;
            job.Outcome = outcome;
            return IngestionStepResult.Success;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && !StepErrors.StopsRun(ex))
        {
            return StepErrors.ToResult(ex, IngestionRejection.StoreFailed, "storing failed, nothing of the document was written");
        }
    }
}
