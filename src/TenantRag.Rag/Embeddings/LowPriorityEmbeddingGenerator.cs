using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace TenantRag.Rag.Embeddings;

/// <summary>
/// Runs another embedding generator on threads of its own at the lowest CPU priority (a <see cref="LowPriorityWorker"/>),
/// a few inputs at a time, so background embedding (uploads) takes only the CPU time that searches leave idle, steps back
/// while they run (<see cref="LowPriorityWorkerOptions.Foreground"/>), and still gets its
/// <see cref="LowPriorityWorkerOptions.MinCpuShare"/>. Thread-safe; disposing it disposes the inner generator.
/// </summary>
/// <remarks>
/// The inner generator must do its work on the calling thread, as <see cref="MiniLmEmbeddingGenerator"/> does with
/// <see cref="MiniLmEmbeddingGeneratorOptions.IntraOpNumThreads"/> 1: threads that ONNX Runtime starts for a run of its own
/// keep their normal priority. Each piece of <see cref="LowPriorityEmbeddingGeneratorOptions.BatchSize"/> consecutive
/// inputs is a call of the inner generator on a worker thread; pieces of one call run on several threads at once while
/// searches are quiet, and the results come back in input order. When a piece fails, the pieces not yet started are
/// dropped and the call fails with that error.
/// </remarks>
public sealed partial class LowPriorityEmbeddingGenerator : DelegatingEmbeddingGenerator<string, Embedding<float>>
{
    private readonly LowPriorityWorker _worker;
    private readonly int _batchSize;
    private readonly ILogger _logger;

    /// <summary>Starts the low-priority threads.</summary>
    /// <param name="innerGenerator">The generator to run; it works on the calling thread.</param>
    /// <param name="options">Settings; null for the defaults.</param>
    /// <param name="logger">Receives the priority the threads got; never input text or vectors.</param>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    public LowPriorityEmbeddingGenerator(IEmbeddingGenerator<string, Embedding<float>> innerGenerator, LowPriorityEmbeddingGeneratorOptions? options = null,
        ILogger<LowPriorityEmbeddingGenerator>? logger = null)
        : base(innerGenerator)
    {
        options ??= new LowPriorityEmbeddingGeneratorOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1);
        ArgumentNullException.ThrowIfNull(options.Worker);
        _batchSize = options.BatchSize;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _worker = new LowPriorityWorker("embedding (low priority)", options.Worker);
        LogBackgroundPriority(_worker.Priority ?? "normal", options.Worker.Threads, _worker.MinimumShare ?? "none");
    }

    /// <summary>
    /// Gets how the threads' priority was lowered (e.g. <c>SCHED_IDLE, nice 19, cgroup tenantrag-background-41-1 (cpu.idle)</c>);
    /// null where the platform refused.
    /// </summary>
    public string? BackgroundPriority => _worker.Priority;

    /// <summary>
    /// Gets how the threads get their <see cref="LowPriorityWorkerOptions.MinCpuShare"/> (e.g. <c>at least 0.25 of a core: ...
    /// raised to cpu.idle 0 while below it</c>); null without one.
    /// </summary>
    public string? BackgroundShare => _worker.MinimumShare;

    /// <summary>Gets the CPU time the threads have spent embedding, by their own clocks.</summary>
    public TimeSpan BackgroundCpuTime => _worker.CpuTime;

    /// <summary>Gets the threads, for tests.</summary>
    internal LowPriorityWorker Worker => _worker;

    /// <inheritdoc />
    public override async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        cancellationToken.ThrowIfCancellationRequested();
        var inputs = values as IReadOnlyList<string> ?? [.. values];
        using var dropRest = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var pieces = new List<Task<GeneratedEmbeddings<Embedding<float>>>>((inputs.Count + _batchSize - 1) / _batchSize);
        for (var start = 0; start < inputs.Count; start += _batchSize)
        {
            var piece = new string[Math.Min(_batchSize, inputs.Count - start)];
            for (var i = 0; i < piece.Length; i++)
            {
                piece[i] = inputs[start + i];
            }

            pieces.Add(_worker.RunAsync(() => Embed(piece, options, dropRest), dropRest.Token));
        }

        await Task.WhenAll(pieces).ConfigureAwait(false);
        var result = new GeneratedEmbeddings<Embedding<float>>(inputs.Count);
        foreach (var piece in pieces)
        {
            var embeddings = await piece.ConfigureAwait(false);
            result.AddRange(embeddings);
            if (embeddings.Usage is { } usage)
            {
                result.Usage ??= new UsageDetails();
                result.Usage.Add(usage);
            }
        }

        return result;
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            // Queued pieces finish first: they call the inner generator, which the base then disposes.
            _worker.Dispose();
        }

        base.Dispose(disposing);
    }

    // Runs on a worker thread; the inner generator finishes its work before it returns.
    private GeneratedEmbeddings<Embedding<float>> Embed(string[] piece, EmbeddingGenerationOptions? options, CancellationTokenSource dropRest)
    {
        try
        {
            return InnerGenerator.GenerateAsync(piece, options, dropRest.Token).GetAwaiter().GetResult();
        }
        catch
        {
            dropRest.Cancel();
            throw;
        }
    }

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Embedding runs on {Threads} background threads at {Priority} priority; minimum CPU share: {Share}")]
    private partial void LogBackgroundPriority(string priority, int threads, string share);
}
