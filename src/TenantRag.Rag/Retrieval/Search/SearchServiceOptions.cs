namespace TenantRag.Rag.Retrieval.Search;

/// <summary>Settings of <see cref="SearchService"/>.</summary>
public sealed class SearchServiceOptions
{
    /// <summary>Retrieval settings used when a search does not pass its own.</summary>
    public RetrievalOptions Retrieval { get; set; } = RetrievalOptions.Default;

    /// <summary>
    /// Names the installation in the keys of the shared vector index cache. Needed only when services of several
    /// installations (databases) share one <see cref="VectorIndexCache"/>; null gives this service a scope of its own.
    /// </summary>
    public string? CacheScope { get; set; }
}
