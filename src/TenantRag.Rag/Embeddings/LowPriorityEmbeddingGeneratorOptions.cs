namespace TenantRag.Rag.Embeddings;

/// <summary>Settings of <see cref="LowPriorityEmbeddingGenerator"/>.</summary>
public sealed class LowPriorityEmbeddingGeneratorOptions
{
    /// <summary>
    /// Gets or sets the most inputs in one piece of work on the low-priority threads (default 1). The threads are raised,
    /// lowered and paused between pieces, so a piece is the longest a search waits for a raised thread to step back (one
    /// ~200-token chunk: about 60 ms on this project's machines).
    /// </summary>
    public int BatchSize { get; set; } = 1;

    /// <summary>
    /// Gets or sets the threads' settings: how many, the minimum CPU share, the foreground work (searches) to step back
    /// for, and the idle cpu cgroup.
    /// </summary>
    public LowPriorityWorkerOptions Worker { get; set; } = new();
}
