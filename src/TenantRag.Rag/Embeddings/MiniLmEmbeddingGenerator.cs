using System.Diagnostics;
using System.Numerics.Tensors;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;

namespace TenantRag.Rag.Embeddings;

/// <summary>
/// Local, in-process embeddings with the bundled all-MiniLM-L6-v2 model (384 dimensions, unit-length vectors,
/// so dot product equals cosine similarity), run by ONNX Runtime on the CPU. Thread-safe.
/// </summary>
/// <remarks>
/// Inputs are lowercased, cut to <see cref="MiniLmEmbeddingGeneratorOptions.MaxSequenceLength"/> tokens, and run in
/// batches (bounded in inputs and in tokens) padded to their longest input; within one call inputs are grouped by length to reduce padding, and results
/// come back in input order. The work is CPU-bound and runs on the calling thread (and, with more than one
/// <see cref="MiniLmEmbeddingGeneratorOptions.IntraOpNumThreads"/>, ONNX Runtime's own), and the returned task is already
/// complete when the method returns; <see cref="LowPriorityEmbeddingGenerator"/> runs it on low-priority threads instead.
/// Empty or whitespace-only inputs are rejected with <see cref="ArgumentException"/>, since their vector carries no
/// meaning and would match unrelated queries.
/// </remarks>
public sealed partial class MiniLmEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>, IEmbeddingModelInfo
{
    /// <summary>The model's name, as recorded with stored vectors.</summary>
    public const string ModelId = MiniLmModelFiles.ModelName;

    /// <summary>The number of dimensions of every vector the model produces.</summary>
    public const int VectorDimensions = MiniLmModelFiles.Dimensions;

    private const string OutputName = "last_hidden_state";
    private static readonly string[] OutputNames = [OutputName];

    private readonly InferenceSession _session;
    private readonly int _batchSize;
    private readonly int _maxBatchTokens;
    private readonly ILogger _logger;
    private readonly EmbeddingGeneratorMetadata _metadata;
    private int _disposed;

    /// <summary>Loads the bundled model.</summary>
    /// <param name="options">Settings; <see langword="null"/> for the defaults.</param>
    /// <param name="logger">Receives load and batch diagnostics; never input text or vectors.</param>
    /// <exception cref="FileNotFoundException">The bundled model file is missing.</exception>
    public MiniLmEmbeddingGenerator(MiniLmEmbeddingGeneratorOptions? options = null, ILogger<MiniLmEmbeddingGenerator>? logger = null)
    {
        options ??= new MiniLmEmbeddingGeneratorOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.IntraOpNumThreads, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxBatchTokens, 1);
        if (!Enum.IsDefined(options.Precision))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Precision, "Unknown embedding precision.");
        }

        _logger = logger ?? (ILogger)NullLogger.Instance;
        _batchSize = options.BatchSize;
        _maxBatchTokens = options.MaxBatchTokens;

        var stopwatch = Stopwatch.StartNew();
        OnnxRuntimeTelemetry.Disable();
        Tokenizer = MiniLmTokenizer.LoadBundled(options.ModelPath, options.MaxSequenceLength);

        using var sessionOptions = new SessionOptions
        {
            IntraOpNumThreads = options.IntraOpNumThreads,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };

        // Spinning threads burn a core between runs, which starves the rest of the process on a small machine.
        sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        var model = MiniLmModelFiles.ReadModel(options.ModelPath);
        if (options.Precision == EmbeddingPrecision.Int8)
        {
            model = OnnxWeightQuantizer.Quantize(model).Model;
        }

        _session = new InferenceSession(model, sessionOptions);
        Precision = options.Precision;
        if (!_session.OutputMetadata.ContainsKey(OutputName))
        {
            _session.Dispose();
            throw new InvalidDataException($"The embedding model has no '{OutputName}' output.");
        }

        _metadata = new EmbeddingGeneratorMetadata("onnxruntime", null, ModelId, VectorDimensions);
        LogModelLoaded(ModelId, VectorDimensions, Tokenizer.MaxSequenceLength, Precision, stopwatch.ElapsedMilliseconds);
    }

    /// <summary>Gets the model's tokenizer, for counting and splitting text in model tokens.</summary>
    public MiniLmTokenizer Tokenizer { get; }

    /// <summary>
    /// Gets the arithmetic the model runs in. Vectors of either precision carry the same model name: they lie in the
    /// same space and are compared with each other.
    /// </summary>
    public EmbeddingPrecision Precision { get; }

    /// <inheritdoc />
    public string ModelName => ModelId;

    /// <inheritdoc />
    public int Dimensions => VectorDimensions;

    /// <summary>Gets the model's metadata (also available through <see cref="GetService(Type, object?)"/>).</summary>
    public EmbeddingGeneratorMetadata Metadata => _metadata;

    /// <inheritdoc />
    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values,
        EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (options?.ModelId is { } requestedModel && !string.Equals(requestedModel, ModelId, StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"This generator only runs '{ModelId}', not '{requestedModel}'.", nameof(options));
        }

        if (options?.Dimensions is { } requestedDimensions && requestedDimensions != VectorDimensions)
        {
            throw new ArgumentException($"'{ModelId}' produces {VectorDimensions} dimensions, not {requestedDimensions}.", nameof(options));
        }

        cancellationToken.ThrowIfCancellationRequested();
        var inputs = values as IReadOnlyList<string> ?? values.ToList();
        return Task.FromResult(Generate(inputs, cancellationToken));
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
        {
            return null;
        }

        if (serviceType == typeof(EmbeddingGeneratorMetadata))
        {
            return _metadata;
        }

        if (serviceType == typeof(MiniLmTokenizer) || serviceType == typeof(ITokenCounter))
        {
            return Tokenizer;
        }

        if (serviceType == typeof(InferenceSession))
        {
            return _session;
        }

        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _session.Dispose();
        }
    }

    private GeneratedEmbeddings<Embedding<float>> Generate(IReadOnlyList<string> inputs, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var (order, totalTokens) = Tokenize(inputs);
        var vectors = new float[inputs.Count][];
        foreach (var (start, size) in Batches(order))
        {
            cancellationToken.ThrowIfCancellationRequested();
            RunBatch(order.AsSpan(start, size), vectors);
        }

        return Result(vectors, totalTokens, stopwatch);
    }

    /// <summary>The inputs' token ids, sorted by length (then position), and their total number of tokens.</summary>
    private (TokenizedInput[] Order, long Tokens) Tokenize(IReadOnlyList<string> inputs)
    {
        var tokenized = new TokenizedInput[inputs.Count];
        var maxLength = Tokenizer.MaxSequenceLength;
        var idsScratch = new long[maxLength];
        var maskScratch = new long[maxLength];
        long totalTokens = 0;
        for (var i = 0; i < inputs.Count; i++)
        {
            var text = inputs[i];
            if (string.IsNullOrWhiteSpace(text))
            {
                throw new ArgumentException(
                    $"Input {i} is {(text is null ? "null" : "empty or whitespace")}; there is nothing to embed.",
                    nameof(inputs));
            }

            var length = Tokenizer.Encode(text, idsScratch, maskScratch);
            tokenized[i] = new TokenizedInput(i, idsScratch.AsSpan(0, length).ToArray());
            totalTokens += length;
        }

        // Grouping similar lengths into a batch keeps padding (wasted attention work) small.
        Array.Sort(tokenized, static (a, b) => a.Ids.Length != b.Ids.Length
            ? a.Ids.Length.CompareTo(b.Ids.Length)
            : a.Index.CompareTo(b.Index));
        return (tokenized, totalTokens);
    }

    /// <summary>Consecutive runs of <paramref name="order"/> that fit a batch (in inputs and in padded tokens).</summary>
    private List<(int Start, int Size)> Batches(TokenizedInput[] order)
    {
        var batches = new List<(int, int)>();
        var start = 0;
        while (start < order.Length)
        {
            // Sorted ascending, so the last input taken sets the batch's padded width.
            var size = 1;
            while (size < _batchSize
                && start + size < order.Length
                && (long)(size + 1) * order[start + size].Ids.Length <= _maxBatchTokens)
            {
                size++;
            }

            batches.Add((start, size));
            start += size;
        }

        return batches;
    }

    private GeneratedEmbeddings<Embedding<float>> Result(float[][] vectors, long totalTokens, Stopwatch stopwatch)
    {
        var createdAt = DateTimeOffset.UtcNow;
        var result = new GeneratedEmbeddings<Embedding<float>>(vectors.Length);
        foreach (var vector in vectors)
        {
            result.Add(new Embedding<float>(vector) { ModelId = ModelId, CreatedAt = createdAt });
        }

        result.Usage = new UsageDetails { InputTokenCount = totalTokens, TotalTokenCount = totalTokens };
        LogBatchEmbedded(vectors.Length, totalTokens, stopwatch.ElapsedMilliseconds);
        return result;
    }

    private void RunBatch(ReadOnlySpan<TokenizedInput> batch, float[][] vectors)
    {
        var rows = batch.Length;
        var width = batch[rows - 1].Ids.Length;
        var ids = new long[rows * width];
        var mask = new long[rows * width];
        var typeIds = new long[rows * width];
        for (var r = 0; r < rows; r++)
        {
            var rowIds = batch[r].Ids;
            rowIds.CopyTo(ids.AsSpan(r * width));
            mask.AsSpan(r * width, rowIds.Length).Fill(1);
        }

        long[] shape = [rows, width];
        using var idsValue = OrtValue.CreateTensorValueFromMemory(ids, shape);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(mask, shape);
        using var typeValue = OrtValue.CreateTensorValueFromMemory(typeIds, shape);
        var inputs = new Dictionary<string, OrtValue>(3, StringComparer.Ordinal)
        {
            ["input_ids"] = idsValue,
            ["attention_mask"] = maskValue,
            ["token_type_ids"] = typeValue,
        };

        using var runOptions = new RunOptions();
        using var outputs = _session.Run(runOptions, inputs, OutputNames);
        var hidden = outputs[0].GetTensorDataAsSpan<float>();
        var dims = VectorDimensions;
        for (var r = 0; r < rows; r++)
        {
            // Mean pooling over real tokens only: padded positions (mask 0) are never summed.
            var length = batch[r].Ids.Length;
            var vector = new float[dims];
            var rowStart = r * width * dims;
            for (var t = 0; t < length; t++)
            {
                TensorPrimitives.Add(vector, hidden.Slice(rowStart + (t * dims), dims), vector);
            }

            var norm = TensorPrimitives.Norm(vector);
            if (norm > 0f)
            {
                TensorPrimitives.Divide(vector, norm, vector);
            }

            vectors[batch[r].Index] = vector;
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Loaded embedding model {Model} ({Dimensions} dims, max {MaxTokens} tokens, {Precision}) in {ElapsedMs} ms")]
    private partial void LogModelLoaded(string model, int dimensions, int maxTokens, EmbeddingPrecision precision, long elapsedMs);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "Embedded {Count} inputs ({Tokens} tokens) in {ElapsedMs} ms")]
    private partial void LogBatchEmbedded(int count, long tokens, long elapsedMs);

    private readonly record struct TokenizedInput(int Index, long[] Ids);
}
