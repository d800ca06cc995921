using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace TenantRag.Rag.Retrieval;

/// <summary>
/// Keeps recently used retrieval indexes (<see cref="VectorIndex"/>, <see cref="LexicalIndex"/>) in memory under one
/// budget, keyed by a caller-chosen string (such as <c>"database|tenant|kind"</c>) and tagged with the data version they
/// were loaded at. Thread-safe.
/// </summary>
/// <remarks>
/// <para>
/// A cached index is returned only while its version equals the caller's current version; otherwise it is reloaded.
/// Concurrent requests for the same key and version share one load. Least recently used indexes are evicted so the
/// sum of <see cref="IRetrievalIndex.EstimatedBytes"/> stays within <see cref="RetrievalIndexCacheOptions.MemoryBudgetBytes"/>.
/// </para>
/// <para>
/// A load keeps running when the callers waiting for it are cancelled, since its result is cached for the next request;
/// the loader's token is cancelled only when the cache is disposed.
/// </para>
/// <para>
/// With <see cref="RetrievalIndexCacheOptions.IdleTimeout"/> set, an index nobody asked for during that time is dropped
/// (checked every half timeout, at most every 30 s), so an idle tenant holds no memory here however much budget is left.
/// </para>
/// </remarks>
public sealed partial class RetrievalIndexCache : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    // Most recently used first.
    private readonly LinkedList<Entry> _recency = new();
    private readonly Dictionary<(string Key, long Version), PendingLoad> _pending = [];
    private readonly CancellationTokenSource _disposal = new();
    private readonly long _budgetBytes;
    private readonly ILogger _logger;
    private readonly TimeSpan _idleTimeout;
    private readonly TimeProvider _time;
    private readonly ITimer? _idleSweeper;
    private long _totalBytes;
    private long _hits;
    private long _loads;
    private long _evictions;
    private long _loadSequence;
    private bool _disposed;

    /// <summary>Creates an empty cache.</summary>
    /// <param name="options">Settings; <see langword="null"/> for the defaults.</param>
    /// <param name="logger">Receives load and eviction diagnostics (keys and sizes only).</param>
    public RetrievalIndexCache(RetrievalIndexCacheOptions? options = null, ILogger<RetrievalIndexCache>? logger = null)
    {
        options ??= new RetrievalIndexCacheOptions();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MemoryBudgetBytes, nameof(options));
        _budgetBytes = options.MemoryBudgetBytes;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _idleTimeout = options.IdleTimeout;
        _time = options.TimeProvider ?? TimeProvider.System;
        if (_idleTimeout != Timeout.InfiniteTimeSpan)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(_idleTimeout, TimeSpan.Zero, nameof(options));
            var period = TimeSpan.FromMilliseconds(Math.Clamp(_idleTimeout.TotalMilliseconds / 2, 100, 30_000));
            _idleSweeper = _time.CreateTimer(_ => DropIdle(), null, period, period);
        }
    }

    /// <summary>Gets the memory budget, in bytes.</summary>
    public long MemoryBudgetBytes => _budgetBytes;

    /// <summary>
    /// Returns the index cached under <paramref name="key"/> if it was loaded at <paramref name="currentVersion"/>;
    /// otherwise loads it with <paramref name="loader"/> (once, however many callers ask at the same time) and caches it.
    /// </summary>
    /// <param name="key">Identifies the index, e.g. <c>"database|tenant"</c>; compared ordinally.</param>
    /// <param name="currentVersion">The data version the caller needs; any other cached version is stale.</param>
    /// <param name="loader">Builds the index from the data at <paramref name="currentVersion"/>.</param>
    /// <param name="cancellationToken">Stops this caller's wait (not a load other callers may be waiting for).</param>
    /// <returns>The index.</returns>
    /// <exception cref="ObjectDisposedException">The cache has been disposed.</exception>
    /// <exception cref="InvalidCastException">An index of another type is cached under <paramref name="key"/>.</exception>
    public async Task<TIndex> GetOrLoadAsync<TIndex>(
        string key,
        long currentVersion,
        Func<CancellationToken, Task<TIndex>> loader,
        CancellationToken cancellationToken = default)
        where TIndex : class, IRetrievalIndex
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(loader);
        cancellationToken.ThrowIfCancellationRequested();

        PendingLoad pending;
        var startLoad = false;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_entries.TryGetValue(key, out var entry) && entry.Version == currentVersion)
            {
                _recency.Remove(entry.Node);
                _recency.AddFirst(entry.Node);
                entry.LastUsed = _time.GetTimestamp();
                _hits++;
                return (TIndex)entry.Index;
            }

            if (_pending.TryGetValue((key, currentVersion), out var existing))
            {
                pending = existing;
                _hits++;
            }
            else
            {
                pending = new PendingLoad(++_loadSequence);
                _pending.Add((key, currentVersion), pending);
                _loads++;
                startLoad = true;
            }
        }

        if (startLoad)
        {
            // Not awaited here: the load's outcome reaches every caller, this one included, through pending.Completion.
            _ = LoadAsync(key, currentVersion, pending, async token => await loader(token).ConfigureAwait(false));
        }

        return (TIndex)await pending.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Drops the index cached under <paramref name="key"/>, if any.</summary>
    /// <param name="key">The key the index was cached under.</param>
    /// <returns><see langword="true"/> if an index was dropped.</returns>
    public bool Invalidate(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_gate)
        {
            if (!_entries.TryGetValue(key, out var entry))
            {
                return false;
            }

            RemoveEntry(entry);
            return true;
        }
    }

    /// <summary>Drops every cached index.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _entries.Clear();
            _recency.Clear();
            _totalBytes = 0;
        }
    }

    /// <summary>Returns a snapshot of the cache's counters.</summary>
    /// <returns>The counters.</returns>
    public RetrievalIndexCacheStatistics GetStatistics()
    {
        lock (_gate)
        {
            return new RetrievalIndexCacheStatistics(_entries.Count, _totalBytes, _hits, _loads, _evictions);
        }
    }

    /// <summary>
    /// Drops every index unused for <see cref="RetrievalIndexCacheOptions.IdleTimeout"/> or longer (nothing when that is
    /// infinite); the cache's own timer calls this, callers need to only when they cannot wait for it.
    /// </summary>
    /// <returns>How many indexes were dropped.</returns>
    public int DropIdle()
    {
        if (_idleTimeout == Timeout.InfiniteTimeSpan)
        {
            return 0;
        }

        int dropped;
        long bytes;
        lock (_gate)
        {
            if (_disposed)
            {
                return 0;
            }

            // The recency list is in order of use, so the idle ones are its tail.
            (dropped, bytes) = (0, 0L);
            while (_recency.Last is { } oldest && _time.GetElapsedTime(oldest.Value.LastUsed) >= _idleTimeout)
            {
                bytes += oldest.Value.Index.EstimatedBytes;
                RemoveEntry(oldest.Value);
                dropped++;
            }
        }

        if (dropped > 0)
        {
            LogDroppedIdle(dropped, bytes, (long)_idleTimeout.TotalSeconds);
        }

        return dropped;
    }

    /// <summary>
    /// The bytes (<see cref="IRetrievalIndex.EstimatedBytes"/>) the cached indexes take, summed per owner as
    /// <paramref name="ownerOf"/> names it from each key; keys it gives null for are left out.
    /// </summary>
    /// <param name="ownerOf">Reads the owner (such as the tenant) from a key.</param>
    /// <returns>Bytes per owner, only owners holding some.</returns>
    public IReadOnlyDictionary<string, long> BytesBy(Func<string, string?> ownerOf)
    {
        ArgumentNullException.ThrowIfNull(ownerOf);
        List<(string Key, long Bytes)> entries;
        lock (_gate)
        {
            entries = [.. _entries.Values.Select(e => (e.Key, e.Index.EstimatedBytes))];
        }

        var bytes = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (key, size) in entries)
        {
            if (ownerOf(key) is { } owner)
            {
                bytes[owner] = bytes.GetValueOrDefault(owner) + size;
            }
        }

        return bytes;
    }

    /// <summary>Drops every cached index and cancels loads in progress.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _entries.Clear();
            _recency.Clear();
            _totalBytes = 0;
        }

        _idleSweeper?.Dispose();
        _disposal.Cancel();
        _disposal.Dispose();
    }

    private async Task LoadAsync(string key, long version, PendingLoad pending, Func<CancellationToken, Task<IRetrievalIndex>> loader)
    {
        var stopwatch = Stopwatch.StartNew();
        IRetrievalIndex index;
        try
        {
            CancellationToken token;
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                token = _disposal.Token;
            }

            index = await loader(token).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"The index loader for '{key}' returned null.");
        }
        catch (Exception exception)
        {
            // Forgetting the failed load lets the next request retry instead of receiving the same failure forever.
            lock (_gate)
            {
                _pending.Remove((key, version));
            }

            LogLoadFailed(exception, key, version);
            pending.Completion.TrySetException(exception);
            return;
        }

        lock (_gate)
        {
            _pending.Remove((key, version));
            if (!_disposed)
            {
                Store(key, version, pending.Sequence, index);
            }
        }

        LogLoaded(key, version, index.Count, index.EstimatedBytes, stopwatch.ElapsedMilliseconds);
        pending.Completion.TrySetResult(index);
    }

    private void Store(string key, long version, long sequence, IRetrievalIndex index)
    {
        if (_entries.TryGetValue(key, out var existing))
        {
            // A load that started later read fresher data; an older load finishing last must not replace it.
            if (existing.Sequence > sequence)
            {
                return;
            }

            RemoveEntry(existing);
        }

        if (index.EstimatedBytes > _budgetBytes)
        {
            LogTooLargeToCache(key, index.EstimatedBytes, _budgetBytes);
            return;
        }

        var entry = new Entry(key, version, sequence, index) { LastUsed = _time.GetTimestamp() };
        entry.Node = _recency.AddFirst(entry);
        _entries.Add(key, entry);
        _totalBytes += index.EstimatedBytes;

        while (_totalBytes > _budgetBytes && _recency.Last is { } oldest && oldest.Value != entry)
        {
            RemoveEntry(oldest.Value);
            _evictions++;
            LogEvicted(oldest.Value.Key, oldest.Value.Version, oldest.Value.Index.EstimatedBytes);
        }
    }

    private void RemoveEntry(Entry entry)
    {
        _entries.Remove(entry.Key);
        _recency.Remove(entry.Node);
        _totalBytes -= entry.Index.EstimatedBytes;
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "Loaded index {Key} at version {Version}: {Rows} rows, {Bytes} bytes in {ElapsedMs} ms")]
    private partial void LogLoaded(string key, long version, int rows, long bytes, long elapsedMs);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "Evicted index {Key} at version {Version} ({Bytes} bytes) to stay within the memory budget")]
    private partial void LogEvicted(string key, long version, long bytes);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Index {Key} needs {Bytes} bytes, more than the whole cache budget of {BudgetBytes} bytes; it is used without being cached")]
    private partial void LogTooLargeToCache(string key, long bytes, long budgetBytes);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Loading index {Key} at version {Version} failed")]
    private partial void LogLoadFailed(Exception exception, string key, long version);

    [LoggerMessage(EventId = 5, Level = LogLevel.Debug, Message = "Dropped {Count} indexes ({Bytes} bytes) unused for {IdleSeconds} s")]
    private partial void LogDroppedIdle(int count, long bytes, long idleSeconds);

    private sealed class Entry(string key, long version, long sequence, IRetrievalIndex index)
    {
        public string Key { get; } = key;

        public long Version { get; } = version;

        public long Sequence { get; } = sequence;

        public IRetrievalIndex Index { get; } = index;

        public LinkedListNode<Entry> Node { get; set; } = null!;

        // When it was stored or last returned (a TimeProvider timestamp), for the idle timeout.
        public long LastUsed { get; set; }
    }

    private sealed class PendingLoad(long sequence)
    {
        public long Sequence { get; } = sequence;

        public TaskCompletionSource<IRetrievalIndex> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
