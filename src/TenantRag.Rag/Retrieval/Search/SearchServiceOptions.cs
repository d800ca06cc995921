using System.Diagnostics.Metrics;
using TenantRag.Rag.Embeddings;

namespace TenantRag.Rag.Retrieval.Search;

/// <summary>Settings of <see cref="SearchService"/>.</summary>
public sealed class SearchServiceOptions
{
    /// <summary>Retrieval settings used when a search does not pass its own.</summary>
    public RetrievalOptions Retrieval { get; set; } = RetrievalOptions.Default;

    /// <summary>
    /// Names the installation in the keys of the shared index cache (vector and full-text). Needed only when services of several
    /// installations (databases) share one <see cref="RetrievalIndexCache"/>; null gives this service a scope of its own.
    /// </summary>
    public string? CacheScope { get; set; }

    /// <summary>
    /// Persisted snapshots of tenants' tenant-wide index partitions: a cold tenant's first search reads each index in one
    /// row when a snapshot of its current data version is stored, and loads from its chunks otherwise. Null (the default)
    /// always loads from the chunks.
    /// </summary>
    public IndexSnapshots? Snapshots { get; set; }

    /// <summary>
    /// How many bytes of query vectors to keep, per tenant, model and exact query text, so a repeated query is not embedded
    /// again; 0 turns the cache off. An entry counts its vector (1.5 KB with 384 dimensions), its key's text and
    /// <see cref="QueryEmbeddingCache.EntryOverheadBytes"/>: the default 20 MiB holds about 10,000 queries of a few words.
    /// </summary>
    public long QueryEmbeddingCacheBytes { get; set; } = 20 * 1024 * 1024;

    /// <summary>
    /// Drops a tenant's query vectors once it has not searched for this long, so an idle tenant holds none; null (the
    /// default) keeps them until the capacity needs room. A server sets its <c>Database:IdleTimeout</c>, as it does for the
    /// index cache (<see cref="RetrievalIndexCacheOptions.IdleTimeout"/>).
    /// </summary>
    public TimeSpan? IdleTimeout { get; set; }

    /// <summary>
    /// Where searches announce themselves while they run, so background embedding sharing it (see
    /// <see cref="LowPriorityWorkerOptions.Foreground"/>) steps back; null (the default) announces nothing.
    /// </summary>
    public ForegroundActivity? Foreground { get; set; }

    /// <summary>
    /// How many query embeddings may run at once; the rest wait their turn, first come first served. Default: the number
    /// of cores, since the model keeps a core busy while it runs and more at once only share the cores (16 concurrent new
    /// queries on 2 cores: 370 against 338 a second, p99 76 against 101 ms). 0 sets no limit.
    /// </summary>
    public int MaxConcurrentQueryEmbeddings { get; set; } = Environment.ProcessorCount;

    /// <summary>
    /// The host's meter factory, which makes the <c>TenantRag</c> meter the search latencies are recorded on
    /// (<c>tenantrag.search.duration</c>, see <see cref="SearchStage"/>); null records on a meter of the process's own.
    /// </summary>
    public IMeterFactory? MeterFactory { get; set; }
}
