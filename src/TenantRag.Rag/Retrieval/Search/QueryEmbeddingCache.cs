using System.Collections.Concurrent;
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
/// <para>
/// With an idle timeout, every vector of a tenant that has not searched for that long is dropped (checked every half
/// timeout, at most every 30 s): an idle tenant holds nothing here.
/// </para>
/// </remarks>
public sealed class QueryEmbeddingCache : IDisposable
{
    /// <summary>What an entry costs beyond its vector and its key's characters: the cache entry, the boxed key, the array header.</summary>
    internal const int EntryOverheadBytes = 256;

    private readonly MemoryCache _cache;

    // When each tenant holding vectors last looked one up or added one (a TimeProvider timestamp), for the idle timeout.
    private readonly ConcurrentDictionary<string, long> _lastUsed = new(StringComparer.Ordinal);
    private readonly TimeSpan _idleTimeout;
    private readonly TimeProvider _time;
    private readonly ITimer? _idleSweeper;

    /// <summary>Creates a cache of at most <paramref name="capacityBytes"/> bytes of entries.</summary>
    /// <param name="capacityBytes">The capacity, at least one entry's worth (<see cref="EntryOverheadBytes"/>).</param>
    /// <param name="idleTimeout">Drops a tenant's vectors once it has not searched for this long; null keeps them until the capacity needs room.</param>
    /// <param name="time">The clock <paramref name="idleTimeout"/> is measured with; null for the system's.</param>
    public QueryEmbeddingCache(long capacityBytes, TimeSpan? idleTimeout = null, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacityBytes, EntryOverheadBytes);
        CapacityBytes = capacityBytes;
        _cache = new MemoryCache(new MemoryCacheOptions { SizeLimit = capacityBytes, TrackStatistics = true });
        _idleTimeout = idleTimeout ?? Timeout.InfiniteTimeSpan;
        _time = time ?? TimeProvider.System;
        if (idleTimeout is { } idle && idle != Timeout.InfiniteTimeSpan)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(idle, TimeSpan.Zero);
            var period = TimeSpan.FromMilliseconds(Math.Clamp(idle.TotalMilliseconds / 2, 100, 30_000));
            _idleSweeper = _time.CreateTimer(_ => DropIdle(), null, period, period);
        }
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
        _lastUsed[tenant] = _time.GetTimestamp();
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
        _lastUsed[tenant] = _time.GetTimestamp();
        using var entry = _cache.CreateEntry(new Key(tenant, model.Name, model.Dimensions, query));
        entry.Value = vector;
        entry.Size = EntryBytes(tenant, model, query, vector);
    }

    /// <summary>The bytes each tenant's vectors take now (as counted against <see cref="CapacityBytes"/>), only tenants holding some.</summary>
    public IReadOnlyDictionary<string, long> BytesByTenant()
    {
        var bytes = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var key in _cache.Keys.OfType<Key>())
        {
            bytes[key.Tenant] = bytes.GetValueOrDefault(key.Tenant) + key.Bytes;
        }

        return bytes;
    }

    /// <summary>
    /// Drops every vector of the tenants that have not searched for the idle timeout or longer (nothing without one);
    /// the cache's own timer calls this.
    /// </summary>
    /// <returns>How many tenants' vectors were dropped.</returns>
    public int DropIdle()
    {
        if (_idleTimeout == Timeout.InfiniteTimeSpan)
        {
            return 0;
        }

        var idle = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (tenant, last) in _lastUsed)
        {
            // Removed only if not used since it was read: a search meanwhile keeps its tenant.
            if (_time.GetElapsedTime(last) >= _idleTimeout && _lastUsed.TryRemove(new KeyValuePair<string, long>(tenant, last)))
            {
                idle.Add(tenant);
            }
        }

        if (idle.Count > 0)
        {
            foreach (var key in _cache.Keys.OfType<Key>().Where(k => idle.Contains(k.Tenant)).ToList())
            {
                _cache.Remove(key);
            }
        }

        return idle.Count;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _idleSweeper?.Dispose();
        _cache.Dispose();
    }

    private readonly record struct Key(string Tenant, string Model, int Dimensions, string Query)
    {
        // What EntryBytes counts, from the key alone: the vector has the model's dimensions.
        public long Bytes => EntryOverheadBytes + ((long)Dimensions * sizeof(float)) + (sizeof(char) * ((long)Tenant.Length + Model.Length + Query.Length));
    }
}
