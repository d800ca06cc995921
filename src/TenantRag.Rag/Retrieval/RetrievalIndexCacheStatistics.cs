namespace TenantRag.Rag.Retrieval;

/// <summary>A snapshot of a <see cref="RetrievalIndexCache"/>'s counters.</summary>
/// <param name="Entries">Indexes currently cached.</param>
/// <param name="EstimatedBytes">Sum of the cached indexes' <see cref="IRetrievalIndex.EstimatedBytes"/>.</param>
/// <param name="Hits">Requests answered from the cache (including those that waited for another caller's load).</param>
/// <param name="Loads">Loader invocations, successful or not.</param>
/// <param name="Evictions">Indexes dropped to stay under the memory budget.</param>
public sealed record RetrievalIndexCacheStatistics(int Entries, long EstimatedBytes, long Hits, long Loads, long Evictions);
