namespace TenantRag.Rag.Embeddings;

/// <summary>Settings of <see cref="MiniLmEmbeddingGenerator"/>.</summary>
public sealed class MiniLmEmbeddingGeneratorOptions
{
    /// <summary>
    /// Gets or sets the path of the bundled model file; <see langword="null"/> (the default) means
    /// <c>models/all-MiniLM-L6-v2.bin</c> beside the application, where the build of TenantRag.Rag puts it.
    /// </summary>
    public string? ModelPath { get; set; }

    /// <summary>
    /// Gets or sets the number of tokens, including <c>[CLS]</c> and <c>[SEP]</c>, that inputs are cut to;
    /// 3 to 512, default 512 (the model's limit).
    /// </summary>
    public int MaxSequenceLength { get; set; } = MiniLmTokenizer.ModelMaxSequenceLength;

    /// <summary>Gets or sets the most inputs that go through the model in one run; default 32.</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>
    /// Gets or sets the most tokens (inputs × padded length) in one run; default 4096, so a batch holds 32 inputs of up to
    /// 128 tokens but only 8 of 512. Attention memory grows with the square of the length, and 32 inputs of 512 tokens
    /// take about 2 GB without being faster than smaller batches.
    /// </summary>
    public int MaxBatchTokens { get; set; } = 4096;

    /// <summary>
    /// Gets or sets the number of threads ONNX Runtime uses inside one run; default 2 (this project's machines have
    /// two cores, and concurrent callers add their own parallelism).
    /// </summary>
    public int IntraOpNumThreads { get; set; } = 2;

    /// <summary>
    /// Gets or sets whether the model runs on threads of its own at the lowest CPU priority (SCHED_IDLE on Linux), a batch
    /// at a time, instead of on the caller's thread: for background work such as embedding uploads, which then take only
    /// the CPU time that queries leave idle (and <see cref="MinCpuShare"/>). Default <see langword="false"/>.
    /// </summary>
    public bool LowPriority { get; set; }

    /// <summary>
    /// Gets or sets the arithmetic of the model's weight matrices; default <see cref="EmbeddingPrecision.Float32"/>.
    /// <see cref="EmbeddingPrecision.Int8"/> suits query embedding, where latency counts and the small difference in
    /// the vector does not change what is found (stored document vectors stay float).
    /// </summary>
    public EmbeddingPrecision Precision { get; set; } = EmbeddingPrecision.Float32;

    /// <summary>
    /// Gets or sets the foreground work (searches) that a <see cref="LowPriority"/> model steps back for: after each batch
    /// run at idle priority while such work is active, a thread pauses for nine times the batch's duration (no longer than
    /// until it is owed its <see cref="MinCpuShare"/>), so above that share it takes at most a tenth of a core while
    /// searches keep the machine busy, and all it can get when they do not. Null (the default) never pauses.
    /// </summary>
    public ForegroundActivity? Foreground { get; set; }

    /// <summary>
    /// Gets or sets whether a <see cref="LowPriority"/> model's threads also join an idle cpu cgroup of their own
    /// (<c>tenantrag-background-{pid}-{n}</c>) where the process may create it (root with a writable cgroup-v1 <c>cpu</c>
    /// hierarchy); default <see langword="true"/>. Without it, PostgreSQL on the same machine in a scheduling group of its
    /// own still shares the CPU evenly with the upload threads.
    /// </summary>
    public bool IdleCpuGroup { get; set; } = true;

    /// <summary>
    /// Gets or sets how many threads a <see cref="LowPriority"/> model runs batches on (default 1): with more, several
    /// batches of one call run at once while <see cref="Foreground"/> is quiet, so background work can use every idle core
    /// (each run on one thread: set <see cref="IntraOpNumThreads"/> to 1).
    /// </summary>
    public int BackgroundThreads { get; set; } = 1;

    /// <summary>
    /// Gets or sets the cores of CPU time (0 to 1) a <see cref="LowPriority"/> model gets at least, whatever else the
    /// machine runs: while its threads have had less over the last second (by their own CPU clocks), their batches run
    /// raised. Default 0: only the CPU time nothing else wants. See <see cref="LowPriorityWorkerOptions.MinCpuShare"/>.
    /// </summary>
    public double MinCpuShare { get; set; }
}
