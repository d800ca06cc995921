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
    /// two cores, and concurrent callers add their own parallelism). With 1 a run uses only the calling thread, as a
    /// <see cref="LowPriorityEmbeddingGenerator"/>'s low-priority threads need.
    /// </summary>
    public int IntraOpNumThreads { get; set; } = 2;

    /// <summary>
    /// Gets or sets the arithmetic of the model's weight matrices; default <see cref="EmbeddingPrecision.Float32"/>.
    /// <see cref="EmbeddingPrecision.Int8"/> suits query embedding, where latency counts and the small difference in
    /// the vector does not change what is found (stored document vectors stay float).
    /// </summary>
    public EmbeddingPrecision Precision { get; set; } = EmbeddingPrecision.Float32;
}
