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

    /// <summary>
    /// Gets or sets how long an index may go unused before it is dropped, whatever the budget: an idle tenant then holds
    /// no memory here. <see cref="Timeout.InfiniteTimeSpan"/> (the default) keeps indexes until the budget needs room;
    /// a server sets its <c>Database:IdleTimeout</c>, the time after which an idle tenant's pool is closed too.
    /// </summary>
    public TimeSpan IdleTimeout { get; set; } = Timeout.InfiniteTimeSpan;

    /// <summary>Gets or sets the clock <see cref="IdleTimeout"/> is measured with; null for the system's.</summary>
    public TimeProvider? TimeProvider { get; set; }
}
