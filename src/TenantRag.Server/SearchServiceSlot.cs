using TenantRag.Rag.Retrieval.Search;

namespace TenantRag.Server;

/// <summary>
/// The host's <see cref="SearchService"/> once something has asked for it: what reports its caches reads it from here
/// instead of building it (and loading the embedding model) in a process that has not searched yet.
/// </summary>
internal sealed class SearchServiceSlot
{
    /// <summary>The search service, or null while none has been built.</summary>
    public SearchService? Search { get; set; }
}
