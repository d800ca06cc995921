using Microsoft.Extensions.Caching.Memory;
using TenantRag.Documents;

namespace TenantRag.Rag.Retrieval.Search;

/// <summary>
/// A cache of query vectors bounded in bytes, keyed by (tenant id, model name, dimensions, exact query text), so a
/// tenant's repeated query skips the embedding model. A <see cref="MemoryCache"/> with a size limit: each entry counts
/// its vector, its key's text and a fixed overhead. Thread-safe.
/// </summary>
/// <remarks>
/// <para>
/// Entries are per tenant even though a vector depends only on the text and the model: a shared entry would let a
/// tenant learn, from how fast its own search answers (a few milliseconds against tens), that another tenant recently
/// asked the same question. The capacity is shared by all tenants.
/// </para>
/// <para>
/// A vector that would take the cache over its capacity is not kept, and the least recently used entries are
/// compacted away in the background (to 95% of the capacity), so the cache never holds more than its capacity.
/// </para>
/// </remarks>
public sealed class QueryEmbeddingCache : IDisposable
{
    /// <summary>What an entry costs beyond its vector and its key's characters: the cache entry, the boxed key, the array header.</summary>
    internal const int EntryOverheadBytes = 256;

    private readonly MemoryCache _cache;

    /// <summary>Creates a cache of at most <paramref name="capacityBytes"/> bytes of entries.</summary>
    /// <param name="capacityBytes">The capacity, at least one entry's worth (<see cref="EntryOverheadBytes"/>).</param>
    public QueryEmbeddingCache(long capacityBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacityBytes, EntryOverheadBytes);
        CapacityBytes = capacityBytes;
        _cache = new MemoryCache(new MemoryCacheOptions { SizeLimit = capacityBytes, TrackStatistics = true });
    }

    /// <summary>The most bytes the entries may take together; the least recently used go first.</summary>
    public long CapacityBytes { get; }

    /// <summary>Counts so far: lookups that found a vector, lookups that did not, and vectors held.</summary>
    public (long Hits, long Misses, int Count) Statistics
    {
        get
        {
            var statistics = _cache.GetCurrentStatistics()!;
            return (statistics.TotalHits, statistics.TotalMisses, (int)statistics.CurrentEntryCount);
        }
    }

    /// <summary>The bytes the entries take now, by their sizes as counted against <see cref="CapacityBytes"/>.</summary>
    public long SizeBytes => _cache.GetCurrentStatistics()!.CurrentEstimatedSize ?? 0;

    /// <summary>The size an entry of <paramref name="query"/>'s <paramref name="vector"/> counts for.</summary>
    internal static long EntryBytes(string tenant, EmbeddingModel model, string query, float[] vector) =>
        EntryOverheadBytes + ((long)vector.Length * sizeof(float)) + (sizeof(char) * ((long)tenant.Length + model.Name.Length + query.Length));

    /// <summary>The cached vector of <paramref name="tenant"/>'s <paramref name="query"/> under <paramref name="model"/>; callers must not change it.</summary>
    internal bool TryGet(string tenant, EmbeddingModel model, string query, out float[] vector)
    {
        if (_cache.TryGetValue(new Key(tenant, model.Name, model.Dimensions, query), out float[]? found) && found is not null)
        {
            vector = found;
            return true;
        }

        vector = [];
        return false;
    }

    /// <summary>Keeps <paramref name="vector"/> (not copied: nobody may change it afterwards), if it fits.</summary>
    internal void Add(string tenant, EmbeddingModel model, string query, float[] vector)
    {
        using var entry = _cache.CreateEntry(new Key(tenant, model.Name, model.Dimensions, query));
        entry.Value = vector;
        entry.Size = EntryBytes(tenant, model, query, vector);
    }

    /// <inheritdoc />
    public void Dispose() => _cache.Dispose();

    private readonly record struct Key(string Tenant, string Model, int Dimensions, string Query);
}
