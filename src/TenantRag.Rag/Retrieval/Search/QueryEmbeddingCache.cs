using TenantRag.Documents;

namespace TenantRag.Rag.Retrieval.Search;

/// <summary>
/// A bounded least-recently-used cache of query vectors, keyed by (tenant id, model name, dimensions, exact query
/// text), so a tenant's repeated query skips the embedding model. Thread-safe.
/// </summary>
/// <remarks>
/// Entries are per tenant even though a vector depends only on the text and the model: a shared entry would let a
/// tenant learn, from how fast its own search answers (a few milliseconds against tens), that another tenant recently
/// asked the same question. The capacity is shared by all tenants.
/// </remarks>
public sealed class QueryEmbeddingCache
{
    private readonly Dictionary<(string Tenant, string Model, int Dimensions, string Query), LinkedListNode<Entry>> _entries;
    private readonly LinkedList<Entry> _recency = new();
    private readonly Lock _lock = new();
    private long _hits;
    private long _misses;

    /// <summary>Creates a cache of at most <paramref name="capacity"/> query vectors.</summary>
    public QueryEmbeddingCache(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _entries = new Dictionary<(string, string, int, string), LinkedListNode<Entry>>(Math.Min(capacity, 1024));
    }

    /// <summary>The most vectors kept; the least recently used goes first.</summary>
    public int Capacity { get; }

    /// <summary>Counts so far: lookups that found a vector, lookups that did not, and vectors held.</summary>
    public (long Hits, long Misses, int Count) Statistics
    {
        get
        {
            lock (_lock)
            {
                return (_hits, _misses, _entries.Count);
            }
        }
    }

    /// <summary>The cached vector of <paramref name="tenant"/>'s <paramref name="query"/> under <paramref name="model"/>; callers must not change it.</summary>
    internal bool TryGet(string tenant, EmbeddingModel model, string query, out float[] vector)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue((tenant, model.Name, model.Dimensions, query), out var node))
            {
                _recency.Remove(node);
                _recency.AddFirst(node);
                _hits++;
                vector = node.Value.Vector;
                return true;
            }

            _misses++;
            vector = [];
            return false;
        }
    }

    /// <summary>Keeps <paramref name="vector"/> (not copied: nobody may change it afterwards).</summary>
    internal void Add(string tenant, EmbeddingModel model, string query, float[] vector)
    {
        var key = (tenant, model.Name, model.Dimensions, query);
        lock (_lock)
        {
            if (_entries.ContainsKey(key))
            {
                return;
            }

            if (_entries.Count >= Capacity && _recency.Last is { } oldest)
            {
                _recency.RemoveLast();
                _entries.Remove(oldest.Value.Key);
            }

            _entries[key] = _recency.AddFirst(new Entry(key, vector));
        }
    }

    private sealed record Entry((string Tenant, string Model, int Dimensions, string Query) Key, float[] Vector);
}
