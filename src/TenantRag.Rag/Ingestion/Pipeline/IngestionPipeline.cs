using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TenantRag.Documents;
using TenantRag.Rag.Embeddings;
using TenantRag.Rag.Ingestion.Chunking;
using TenantRag.Rag.Ingestion.Extraction;
using TenantRag.Rag.Ingestion.Pipeline.Steps;

namespace TenantRag.Rag.Ingestion.Pipeline;

/// <summary>
/// Ingests files into a tenant, in process: every file runs the named steps <c>extract</c>, <c>chunk</c>,
/// <c>embed</c>, <c>store</c> (see <see cref="IIngestionStep"/>); after <c>extract</c> each document of the file goes
/// on as its own <see cref="IngestionJob"/>. Thread-safe: runs may overlap.
/// </summary>
/// <remarks>
/// <para>
/// <b>Sources.</b> A document is stored under its source key (<see cref="IngestionInput.Source"/>; <c>file#id</c>
/// for one document of a multi-document <c>.jsonl</c>), owned by the caller's user. Re-ingesting a source replaces its
/// document atomically, or does nothing when its content hash is unchanged.
/// </para>
/// <para>
/// <b>Hashes.</b> A document's content hash is SHA-256 of the normalised extracted text (title, then each section's
/// heading path and text), the visibility, and the pipeline's recipe (model name and dimensions, chunk sizes, format
/// version): the same text ingested again is skipped before chunking or embedding, while a change of model, chunking
/// or visibility rebuilds it. A chunk's hash is SHA-256 of the model name and the embedded text; a chunk whose hash
/// is already stored (same tenant, visible to the caller) reuses that vector instead of being embedded again.
/// </para>
/// <para>
/// <b>What is embedded.</b> Each chunk is stored with the heading <c>Title &gt; Section &gt; Subsection</c> (just the
/// title when the section has none), so the title is searched with every chunk. The model embeds that heading (cut to
/// <see cref="IngestionPipelineOptions.MaxEmbeddedHeadingLength"/> characters), a line break, and the chunk text.
/// </para>
/// <para>
/// <b>Throughput.</b> Up to <see cref="IngestionPipelineOptions.MaxDocumentsInFlight"/> documents are between
/// extraction and storage at once. Their chunks are embedded together, up to
/// <see cref="IngestionPipelineOptions.EmbeddingBatchSize"/> texts per call, and each document is stored, in its own
/// transaction, while the next batch is embedded.
/// </para>
/// <para>
/// <b>Failures.</b> A bad file (unsupported, empty, corrupt, too large) or a document the store refuses is reported in
/// <see cref="IngestionSummary.Rejected"/> and the run goes on. Retriable errors (a dropped connection, a
/// serialization conflict) are retried up to <see cref="IngestionPipelineOptions.MaxAttempts"/> times. Errors about
/// the run itself (no such tenant, access denied) and cancellation stop it and are thrown, once no store is in flight.
/// </para>
/// </remarks>
public sealed class IngestionPipeline
{
    private readonly ILogger _logger;

    /// <summary>Creates the pipeline.</summary>
    /// <param name="documents">Where documents are stored (one transaction per call).</param>
    /// <param name="generator">
    /// Makes the vectors. It must name its model and dimensions: implement <see cref="IEmbeddingModelInfo"/> (as
    /// <see cref="MiniLmEmbeddingGenerator"/> does) or report <see cref="EmbeddingGeneratorMetadata"/> with both.
    /// </param>
    /// <param name="tokenCounter">The model's tokenizer, for chunk sizes (<see cref="MiniLmEmbeddingGenerator.Tokenizer"/>).</param>
    /// <param name="options">Settings; defaults when <see langword="null"/>. Validated here.</param>
    /// <param name="loggerFactory">Logging (never document text); none when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">The generator does not name its model and dimensions.</exception>
    public IngestionPipeline(IDocumentRepository documents, IEmbeddingGenerator<string, Embedding<float>> generator, ITokenCounter tokenCounter,
        IngestionPipelineOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(tokenCounter);
        options ??= new IngestionPipelineOptions();
        options.Validate();
        loggerFactory ??= NullLoggerFactory.Instance;
        Documents = documents;
        Generator = generator;
        Options = options;
        Model = ModelOf(generator);
        Chunker = new TokenAwareChunker(tokenCounter, options.Chunking);
        Extraction = new DocumentExtractionService(DocumentExtractorRegistry.CreateDefault(options.Extraction), options.Extraction,
            loggerFactory.CreateLogger<DocumentExtractionService>());
        Recipe = IngestionHashing.Recipe(Model, options.Chunking, options.MaxEmbeddedHeadingLength);
        EmbeddingTurns = new FairGate<string>(capacity: 1);
        ExtractionSlots = new FairGate<string>(options.MaxConcurrentExtractions);
        _logger = loggerFactory.CreateLogger<IngestionPipeline>();
    }

    /// <summary>The model the vectors are made with, as stored beside each vector.</summary>
    public EmbeddingModel Model { get; }

    /// <summary>The names of the steps, in the order they run.</summary>
    public static IReadOnlyList<string> StepNames { get; } = [ExtractStep.StepName, ChunkStep.StepName, EmbedStep.StepName, StoreStep.StepName];

    internal IDocumentRepository Documents { get; }

    /// <summary>Gets the model that embeds chunks.</summary>
    public IEmbeddingGenerator<string, Embedding<float>> Generator { get; }

    internal IngestionPipelineOptions Options { get; }

    internal IDocumentChunker Chunker { get; }

    internal DocumentExtractionService Extraction { get; }

    internal string Recipe { get; }

    /// <summary>Turns on the embedding model, round-robin between tenants (a batch of chunk texts each).</summary>
    internal FairGate<string> EmbeddingTurns { get; }

    /// <summary>Slots for reading files, round-robin between tenants, one per tenant.</summary>
    internal FairGate<string> ExtractionSlots { get; }

    /// <summary>
    /// Ingests the request's files into its tenant, as its user, and returns what happened. Rejected files and
    /// documents are in the summary; they do not stop the run.
    /// </summary>
    /// <param name="request">Who, what, and with which visibility.</param>
    /// <param name="progress">Told after every file read and every document finished (in order, from any thread).</param>
    /// <param name="cancellationToken">Stops the run; documents in flight are rolled back, none is left half stored.</param>
    /// <returns>Counts, rejections, chunks and timings.</returns>
    /// <exception cref="TenantRagException">The run could not go on (e.g. <see cref="TenantNotFoundException"/>).</exception>
    /// <exception cref="OperationCanceledException">The run was cancelled.</exception>
    public async Task<IngestionSummary> IngestAsync(IngestionRequest request, IProgress<IngestionProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.Context);
        ArgumentNullException.ThrowIfNull(request.Inputs);
        IngestionLog.RunStarted(_logger, request.Inputs.Count, request.Context.Tenant.Value, Model.Name);

        using var abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var run = new IngestionRun(this, request, progress, abort);
        IIngestionStep[] steps = [new ExtractStep(run), new ChunkStep(run), new EmbedStep(run), new StoreStep(run)];
        var running = new List<Task>();
        try
        {
            await ProduceAsync(run, steps, running).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            run.Abort(ex);
        }
        finally
        {
            // Whatever happened, return only when no document is in flight: a cancelled store has rolled back by then.
            await Task.WhenAll(running).ConfigureAwait(false);
            await run.DisposeAsync().ConfigureAwait(false);
        }

        run.ThrowIfAborted();
        cancellationToken.ThrowIfCancellationRequested();
        var summary = run.Summary();
        IngestionLog.RunFinished(_logger, request.Context.Tenant.Value, summary.Added, summary.Replaced, summary.Unchanged, summary.Rejected.Count,
            summary.Chunks, summary.Elapsed.TotalSeconds, summary.ChunksPerSecond);
        return summary;
    }

    /// <summary>
    /// Refuses a file no extractor reads before anything is done with it (an upload is then not even stored).
    /// </summary>
    /// <exception cref="UnsupportedDocumentException">The file's extension is not one of the supported ones.</exception>
    public void EnsureSupported(string fileName) => Extraction.EnsureSupported(fileName);

    /// <summary>
    /// The texts the model is given for <paramref name="document"/>, chunk by chunk, exactly as ingestion embeds them:
    /// for measuring the model's raw throughput on the same inputs as an ingestion run.
    /// </summary>
    public IReadOnlyList<string> EmbeddingTexts(ExtractedDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        return [.. PrepareChunks(document).Select(c => c.EmbeddingText)];
    }

    /// <summary>Cuts <paramref name="document"/> into chunks with their heading, embedding text and hash (no vectors yet).</summary>
    internal IngestionChunk[] PrepareChunks(ExtractedDocument document, CancellationToken cancellationToken = default)
    {
        var pieces = Chunker.Chunk(document, cancellationToken);
        var chunks = new IngestionChunk[pieces.Count];
        for (var i = 0; i < pieces.Count; i++)
        {
            var piece = pieces[i];
            var heading = ChunkText.Heading(document.Title, piece.HeadingPath);
            var embeddingText = ChunkText.ForEmbedding(heading, piece.Text, Options.MaxEmbeddedHeadingLength);
            chunks[i] = new IngestionChunk
            {
                Ordinal = i,
                Heading = heading,
                Content = piece.Text,
                TokenCount = piece.TokenCount,
                EmbeddingText = embeddingText,
                ContentHash = IngestionHashing.Chunk(Model.Name, embeddingText),
            };
        }

        return chunks;
    }

    private static EmbeddingModel ModelOf(IEmbeddingGenerator<string, Embedding<float>> generator)
    {
        if ((generator as IEmbeddingModelInfo ?? generator.GetService(typeof(IEmbeddingModelInfo)) as IEmbeddingModelInfo) is { } info)
        {
            return new EmbeddingModel(info.ModelName, info.Dimensions);
        }

        if (generator.GetService(typeof(EmbeddingGeneratorMetadata)) is EmbeddingGeneratorMetadata { DefaultModelId: { Length: > 0 } id, DefaultModelDimensions: { } dimensions })
        {
            return new EmbeddingModel(id, dimensions);
        }

        throw new ArgumentException(
            "the embedding generator does not name its model and dimensions, which are stored with every vector: implement IEmbeddingModelInfo, or report EmbeddingGeneratorMetadata with DefaultModelId and DefaultModelDimensions",
            nameof(generator));
    }

    private static string SourceOf(IngestionInput input, ExtractedDocument document) =>
        document.ExternalId is null ? input.Source : input.Source + "#" + document.ExternalId;

    // Reads the files one by one and starts a job per document, holding at most MaxDocumentsInFlight of them.
    private async Task ProduceAsync(IngestionRun run, IIngestionStep[] steps, List<Task> running)
    {
        var token = run.Token;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var input in run.Request.Inputs)
        {
            token.ThrowIfCancellationRequested();
            var fileJob = IngestionJob.ForFile(run.Request.Context, input, run.Request.Visibility);
            await RunStepsAsync(fileJob, steps[..1], run).ConfigureAwait(false);
            var documents = fileJob.Extraction?.Documents ?? [];
            var jobs = documents.Select(document => fileJob.ForDocument(document, SourceOf(input, document))).ToList();
            run.FileRead(fileJob, jobs.Count);
            fileJob.Extraction = null;
            if (jobs.Count > 1)
            {
                await LookUpStoredHashesAsync(run, jobs).ConfigureAwait(false);
            }

            foreach (var job in jobs)
            {
                if (!seen.Add(job.Source))
                {
                    job.Failure = new IngestionRejection
                    {
                        Source = job.Source,
                        Step = ExtractStep.StepName,
                        Reason = "DuplicateSource",
                        Message = $"another file of this run is stored under the same source '{job.Source}'; ingest the directories separately or rename one",
                    };
                    IngestionLog.Rejected(_logger, job.Source, job.Failure.Step, job.Failure.Reason, job.Failure.Message);
                    run.DocumentDone(job);
                    continue;
                }

                await run.InFlight.WaitAsync(token).ConfigureAwait(false);
                running.Add(Task.Run(() => RunDocumentAsync(job, steps, run), CancellationToken.None));
            }
        }
    }

    // One query per thousand documents of a multi-document file, instead of one per document in the chunk step: this is
    // what makes re-ingesting an unchanged corpus of thousands of lines take well under a second of database time.
    private static async Task LookUpStoredHashesAsync(IngestionRun run, List<IngestionJob> jobs)
    {
        const int SourcesPerQuery = 1000;
        foreach (var slice in jobs.Chunk(SourcesPerQuery))
        {
            var stored = await run.DatabaseAsync(token =>
                run.Pipeline.Documents.FindContentHashesAsync(run.Request.Context, [.. slice.Select(j => j.Source)], token)).ConfigureAwait(false);
            foreach (var job in slice)
            {
                job.StoredContentHash = stored.GetValueOrDefault(job.Source);
                job.StoredContentHashKnown = true;
            }
        }
    }

    private async Task RunDocumentAsync(IngestionJob job, IIngestionStep[] steps, IngestionRun run)
    {
        try
        {
            await RunStepsAsync(job, steps, run).ConfigureAwait(false);
            run.DocumentDone(job);
        }
        catch (Exception ex)
        {
            run.Abort(ex);
        }
        finally
        {
            run.InFlight.Release();
        }
    }

    // Runs the steps the job has not finished, in order, until one fails or the job is complete.
    private async Task RunStepsAsync(IngestionJob job, IIngestionStep[] steps, IngestionRun run)
    {
        foreach (var step in steps)
        {
            if (job.IsComplete)
            {
                return;
            }

            if (job.HasFinished(step.Name))
            {
                continue;
            }

            var result = await RunStepAsync(step, job, run).ConfigureAwait(false);
            if (result.Kind != IngestionStepResultKind.Success)
            {
                job.Failure = new IngestionRejection
                {
                    Source = job.Source,
                    Step = step.Name,
                    Reason = result.Reason ?? IngestionRejection.StepFailed,
                    Message = result.Message ?? $"{step.Name} failed",
                };
                IngestionLog.Rejected(_logger, job.Source, step.Name, job.Failure.Reason, job.Failure.Message);
                return;
            }

            job.MarkFinished(step.Name);
        }
    }

    // One step with retries; a retriable result after the last attempt counts as fatal.
    private async Task<IngestionStepResult> RunStepAsync(IIngestionStep step, IngestionJob job, IngestionRun run)
    {
        var token = run.Token;
        for (var attempt = 1; ; attempt++)
        {
            token.ThrowIfCancellationRequested();
            IngestionStepResult result;
            try
            {
                result = await step.ExecuteAsync(job, token).ConfigureAwait(false);
            }
            catch (Exception ex) when (!token.IsCancellationRequested && !StepErrors.StopsRun(ex))
            {
                IngestionLog.StepCrashed(_logger, ex, step.Name, job.Source);
                result = IngestionStepResult.Fatal(IngestionRejection.StepFailed, $"{step.Name} failed ({ex.GetType().Name}: {StepErrors.Describe(ex)})");
            }

            if (result.Kind != IngestionStepResultKind.Retriable)
            {
                return result;
            }

            if (attempt >= Options.MaxAttempts)
            {
                return IngestionStepResult.Fatal(result.Reason ?? IngestionRejection.StepFailed, $"{result.Message} (gave up after {attempt} attempts)");
            }

            IngestionLog.Retrying(_logger, step.Name, job.Source, attempt, Options.MaxAttempts, result.Reason ?? string.Empty);
            await Task.Delay(Options.RetryDelay * Math.Pow(2, attempt - 1), token).ConfigureAwait(false);
        }
    }
}
