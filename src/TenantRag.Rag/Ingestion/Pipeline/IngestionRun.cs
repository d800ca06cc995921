using System.Diagnostics;
using System.Runtime.ExceptionServices;
using TenantRag.Documents;

namespace TenantRag.Rag.Ingestion.Pipeline;

/// <summary>The state of one <see cref="IngestionPipeline.IngestAsync"/> call: limits, the embedder, counters and progress.</summary>
internal sealed class IngestionRun : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _abort;
    private readonly IProgress<IngestionProgress>? _progress;
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly List<IngestionRejection> _rejected = [];
    private readonly List<IngestionFileIssue> _issues = [];
    private readonly List<IngestedDocument> _stored = [];
    private ExceptionDispatchInfo? _failure;
    private int _filesRead;
    private int _documentsFound;
    private int _documentsDone;
    private int _added;
    private int _replaced;
    private int _unchanged;
    private long _chunks;
    private long _chunksToEmbed;
    private long _chunksEmbedded;

    public IngestionRun(IngestionPipeline pipeline, IngestionRequest request, IProgress<IngestionProgress>? progress, CancellationTokenSource abort)
    {
        Pipeline = pipeline;
        Request = request;
        _progress = progress;
        _abort = abort;
        var options = pipeline.Options;
        DatabaseGate = new SemaphoreSlim(options.MaxConcurrentDatabaseCalls);
        InFlight = new SemaphoreSlim(options.MaxDocumentsInFlight);
        Embedder = new EmbeddingBatcher(pipeline.Generator, pipeline.Model,
            (hashes, ct) => DatabaseAsync(token => pipeline.Documents.FindEmbeddingsAsync(request.Context, hashes, pipeline.Model, token)),
            options.EmbeddingBatchSize, options.EmbeddingBatchLinger,
            (pipeline.EmbeddingTurns, request.Context.Tenant.Value, options.EmbeddingTurnSize), abort.Token, ChunksEmbedded);
    }

    public IngestionPipeline Pipeline { get; }

    public IngestionRequest Request { get; }

    /// <summary>Cancelled when the caller cancels or the run is aborted.</summary>
    public CancellationToken Token => _abort.Token;

    /// <summary>Bounds the documents between extraction and storage.</summary>
    public SemaphoreSlim InFlight { get; }

    public EmbeddingBatcher Embedder { get; }

    private SemaphoreSlim DatabaseGate { get; }

    /// <summary>Runs a repository call when a database slot is free.</summary>
    public async Task<T> DatabaseAsync<T>(Func<CancellationToken, Task<T>> call)
    {
        await DatabaseGate.WaitAsync(Token).ConfigureAwait(false);
        try
        {
            return await call(Token).ConfigureAwait(false);
        }
        finally
        {
            DatabaseGate.Release();
        }
    }

    /// <summary>Stops the run because of <paramref name="exception"/>; the first reason wins and is rethrown at the end.</summary>
    public void Abort(Exception exception)
    {
        if (exception is OperationCanceledException && Token.IsCancellationRequested)
        {
            return;
        }

        lock (_gate)
        {
            _failure ??= ExceptionDispatchInfo.Capture(exception);
        }

        _abort.Cancel();
    }

    /// <summary>Rethrows what aborted the run, if anything did.</summary>
    public void ThrowIfAborted()
    {
        lock (_gate)
        {
            _failure?.Throw();
        }
    }

    /// <summary>A file was read: its documents are on their way, or it was rejected.</summary>
    public void FileRead(IngestionJob fileJob, int documents)
    {
        lock (_gate)
        {
            _filesRead++;
            _documentsFound += documents;
            if (fileJob.Extraction is { } extraction)
            {
                _issues.AddRange(extraction.Issues.Select(i => new IngestionFileIssue(fileJob.Source, i.ToString())));
            }

            if (fileJob.Failure is { } failure)
            {
                _rejected.Add(failure);
            }

            Report(fileJob.Failure);
        }
    }

    /// <summary>A document job is complete (stored, unchanged, or failed).</summary>
    public void DocumentDone(IngestionJob job)
    {
        lock (_gate)
        {
            _documentsDone++;
            if (job is { Outcome: StoreOutcome.Added or StoreOutcome.Replaced, DocumentId: { } id })
            {
                _stored.Add(new IngestedDocument(job.Source, id, job.Outcome.Value));
            }

            switch (job.Outcome)
            {
                case StoreOutcome.Added:
                    _added++;
                    _chunks += job.Chunks?.Count ?? 0;
                    break;
                case StoreOutcome.Replaced:
                    _replaced++;
                    _chunks += job.Chunks?.Count ?? 0;
                    break;
                case StoreOutcome.Unchanged:
                    _unchanged++;
                    break;
                default:
                    _rejected.Add(job.Failure ?? new IngestionRejection { Source = job.Source, Step = "store", Reason = IngestionRejection.StepFailed, Message = "the document was not stored" });
                    break;
            }

            Report(job.Outcome is null ? _rejected[^1] : null);
        }
    }

    /// <summary>A document was cut into <paramref name="chunks"/> chunks that need vectors.</summary>
    public void ChunksPlanned(int chunks)
    {
        lock (_gate)
        {
            _chunksToEmbed += chunks;
            Report(null);
        }
    }

    // The embedder gave <paramref name="chunks"/> more chunks their vector.
    private void ChunksEmbedded(int chunks)
    {
        lock (_gate)
        {
            _chunksEmbedded += chunks;
            Report(null);
        }
    }

    public IngestionSummary Summary()
    {
        lock (_gate)
        {
            return new IngestionSummary
            {
                Model = Pipeline.Model,
                Files = Request.Inputs.Count,
                Documents = _documentsFound,
                Added = _added,
                Replaced = _replaced,
                Unchanged = _unchanged,
                Rejected = [.. _rejected],
                Stored = [.. _stored],
                Issues = [.. _issues],
                Chunks = _chunks,
                ChunksEmbedded = Embedder.ChunksEmbedded,
                ChunksReused = Embedder.ChunksReused,
                Elapsed = Stopwatch.GetElapsedTime(_started),
                EmbeddingTime = Embedder.EmbeddingTime,
            };
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await Embedder.DisposeAsync().ConfigureAwait(false);
        DatabaseGate.Dispose();
        InFlight.Dispose();
    }

    // Called under _gate, so reports arrive in order.
    private void Report(IngestionRejection? rejection)
    {
        _progress?.Report(new IngestionProgress
        {
            FilesTotal = Request.Inputs.Count,
            FilesRead = _filesRead,
            DocumentsTotal = _documentsFound + (Request.Inputs.Count - _filesRead),
            DocumentsDone = _documentsDone,
            Added = _added,
            Replaced = _replaced,
            Unchanged = _unchanged,
            Rejected = _rejected.Count,
            Chunks = _chunks,
            ChunksToEmbed = _chunksToEmbed,
            ChunksEmbedded = Math.Min(_chunksEmbedded, _chunksToEmbed),
            Elapsed = Stopwatch.GetElapsedTime(_started),
            Rejection = rejection,
        });
    }
}
