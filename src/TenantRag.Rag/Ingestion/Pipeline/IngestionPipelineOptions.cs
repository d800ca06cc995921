using TenantRag.Rag.Ingestion.Chunking;

namespace TenantRag.Rag.Ingestion.Pipeline;

/// <summary>Settings of <see cref="IngestionPipeline"/>.</summary>
public sealed class IngestionPipelineOptions
{
    /// <summary>
    /// Limits of one file and one document (size, characters, pages, chunks, nesting, time; see
    /// <see cref="IngestionOptions"/>) and text checks.
    /// </summary>
    public IngestionOptions Extraction { get; set; } = new();

    /// <summary>Chunk sizes in model tokens (default about 200 with 15% overlap).</summary>
    public ChunkingOptions Chunking { get; set; } = new();

    /// <summary>
    /// The most chunk texts handed to the embedding generator in one call (default 64). Chunks of many small documents
    /// are gathered into one call; the generator splits a call further by its own limits.
    /// </summary>
    public int EmbeddingBatchSize { get; set; } = 64;

    /// <summary>
    /// How long the embedder waits for more chunks when a batch is not full yet (default 10 ms); 0 sends at once.
    /// </summary>
    public TimeSpan EmbeddingBatchLinger { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// The most documents between extraction and storage at once (default 256). It must exceed
    /// <see cref="EmbeddingBatchSize"/> by a margin so the next batch fills while one is embedded and another stored.
    /// </summary>
    public int MaxDocumentsInFlight { get; set; } = 256;

    /// <summary>
    /// Chunk texts one tenant embeds before the shared model turns to the next tenant waiting (default 16). All runs of
    /// one pipeline share its model: tenants take turns round-robin, a batch each, so one tenant's large upload delays
    /// another's small one by about one batch rather than by the whole upload.
    /// </summary>
    public int EmbeddingTurnSize { get; set; } = 16;

    /// <summary>
    /// Files read (extracted) at once across all runs of the pipeline, at most one per tenant, handed out round-robin
    /// between tenants (default 2). Extraction is bounded in time and memory per file; this bounds how many such files
    /// are in memory together without letting one tenant's files queue ahead of another's.
    /// </summary>
    public int MaxConcurrentExtractions { get; set; } = 2;

    /// <summary>
    /// The most repository calls at once (default 2, a dedicated tenant's pool size): a bigger number only queues
    /// for the pool.
    /// </summary>
    public int MaxConcurrentDatabaseCalls { get; set; } = 2;

    /// <summary>Attempts of a step that fails with a retriable error, the first included (default 3).</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>The delay before the first retry (default 200 ms); it doubles with each further attempt.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// The most characters of a chunk's heading (title and heading path) put in front of its text for embedding
    /// (default 300, about 75 tokens), so a very long title does not push the text past the model's input limit.
    /// The stored heading is never cut.
    /// </summary>
    public int MaxEmbeddedHeadingLength { get; set; } = 300;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> when a setting is out of range.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Extraction);
        ArgumentNullException.ThrowIfNull(Chunking);
        Extraction.Validate();
        Chunking.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(EmbeddingBatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(EmbeddingBatchLinger, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDocumentsInFlight, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(EmbeddingTurnSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConcurrentExtractions, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConcurrentDatabaseCalls, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxAttempts, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(RetryDelay, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxEmbeddedHeadingLength, 1);
    }
}
