namespace TenantRag.Rag.Retrieval;

/// <summary>Settings of <see cref="RetrievalIndexCache"/>.</summary>
public sealed class RetrievalIndexCacheOptions
{
    /// <summary>The default memory budget: 512 MiB.</summary>
    public const long DefaultMemoryBudgetBytes = 512L * 1024 * 1024;

    /// <summary>
    /// Gets or sets the most memory, by <see cref="IRetrievalIndex.EstimatedBytes"/>, that cached indexes may hold together;
    /// least recently used indexes are evicted to stay under it. An index larger than the whole budget is returned to
    /// its caller but not cached. Default 512 MiB.
    /// </summary>
    public long MemoryBudgetBytes { get; set; } = DefaultMemoryBudgetBytes;
}
