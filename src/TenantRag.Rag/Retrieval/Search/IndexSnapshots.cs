using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TenantRag.Documents;
using TenantRag.Retrieval;
using TenantRag.Tenancy;

namespace TenantRag.Rag.Retrieval.Search;

/// <summary>
/// Persisted snapshots of tenants' tenant-wide index partitions (the full-text index and each model's vector index), so
/// a cold tenant's first search reads each index in one row instead of loading and indexing every chunk. Thread-safe;
/// one per process, shared by the retrievers (see <see cref="SearchServiceOptions.Snapshots"/>).
/// </summary>
/// <remarks>
/// <para>
/// A snapshot is tagged with the tenant's data version it was built at and read only at that version, through the
/// searching user's session (row-level security decides whose row it is); a snapshot that does not decode, or holds a
/// private row, is ignored and the partition loads from its chunks as before.
/// </para>
/// <para>
/// Snapshots are kept current in the background, never on a search's or an upload's path: after a partition of at least
/// <see cref="IndexSnapshotOptions.MinRows"/> chunks was loaded from its chunks (the index in hand is written), and when
/// <see cref="RequestRebuild"/> is called after a write (the partition is loaded afresh). Requests for the same tenant
/// within <see cref="IndexSnapshotOptions.Debounce"/> run once, and one build runs at a time.
/// </para>
/// </remarks>
public sealed partial class IndexSnapshots : IAsyncDisposable
{
    private readonly ISearchStore _store;
    private readonly IIndexSnapshotStore _writes;
    private readonly IndexSnapshotOptions _options;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Func<CancellationToken, Task>> _pending = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Task, byte> _running = new();
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);
    private readonly CancellationTokenSource _disposal = new();
    private bool _disposed;

    /// <summary>Creates the service.</summary>
    /// <param name="store">Opens the sessions rebuilds load partitions through.</param>
    /// <param name="writes">Stores the snapshots.</param>
    /// <param name="options">Settings; null for the defaults.</param>
    /// <param name="logger">Receives build outcomes (tenant ids, sizes and timings; never content).</param>
    public IndexSnapshots(ISearchStore store, IIndexSnapshotStore writes, IndexSnapshotOptions? options = null, ILogger<IndexSnapshots>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(writes);
        options ??= new IndexSnapshotOptions();
        options.Validate();
        _store = store;
        _writes = writes;
        _options = options;
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>Gets the fewest chunks worth a snapshot.</summary>
    public int MinRows => _options.MinRows;

    /// <summary>
    /// Asks for the caller's tenant's snapshots to be rebuilt after a write (an upload finished, a document deleted):
    /// in the background, after <see cref="IndexSnapshotOptions.Debounce"/>, once for all requests meanwhile. Never blocks.
    /// </summary>
    /// <param name="context">A user of the tenant; the rebuild reads the tenant-wide partition through their session.</param>
    public void RequestRebuild(TenantContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        Schedule("rebuild|" + context.Tenant.Value, async token => await RebuildAsync(context, token).ConfigureAwait(false));
    }

    /// <summary>
    /// Rebuilds the caller's tenant's snapshots now: loads the tenant-wide partition's full-text index and the vector
    /// index of each embedding model its chunks have, and stores each at the version it was read at; deletes them when
    /// the partition holds fewer than <see cref="MinRows"/> chunks.
    /// </summary>
    /// <param name="context">A user of the tenant.</param>
    /// <param name="cancellationToken">Cancels the rebuild.</param>
    /// <returns>The bytes stored (0 when the tenant is too small, or its data changed while it was read).</returns>
    public async Task<long> RebuildAsync(TenantContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var started = Stopwatch.GetTimestamp();
        var built = new List<(IndexSnapshotKey Key, int Rows, byte[] Bytes)>();
        long version;
        await using (var session = await _store.OpenAsync(context, cancellationToken).ConfigureAwait(false))
        {
            // The version first: what is read after it is at least that new, and the write below stores nothing unless
            // the version is still current then, so a stored snapshot holds exactly that version's rows.
            version = (await session.StartAsync(null, cancellationToken).ConfigureAwait(false)).DataVersion;
            var lexical = await LexicalRetriever.LoadFromChunksAsync(session, IndexPartition.Tenant, cancellationToken).ConfigureAwait(false);
            if (lexical.Count >= MinRows)
            {
                built.Add((IndexSnapshotKey.Lexical, lexical.Count, lexical.ToSnapshot()));
                foreach (var model in await session.DistinctEmbeddingModelsAsync(cancellationToken).ConfigureAwait(false))
                {
                    var vectors = await VectorRetriever.LoadFromChunksAsync(session, IndexPartition.Tenant, model, cancellationToken).ConfigureAwait(false);
                    built.Add((IndexSnapshotKey.Vector(model), vectors.Count, vectors.ToSnapshot()));
                }
            }
        }

        if (built.Count == 0)
        {
            var deleted = await _writes.DeleteAsync(context, cancellationToken).ConfigureAwait(false);
            LogTooSmall(context.Tenant.Value, MinRows, deleted);
            return 0;
        }

        long bytes = 0;
        foreach (var (key, rows, snapshot) in built)
        {
            bytes += await WriteAsync(context, key, version, rows, snapshot, cancellationToken).ConfigureAwait(false);
        }

        LogRebuilt(context.Tenant.Value, version, bytes, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return bytes;
    }

    /// <summary>Completes when every build asked for so far has run (tests and benchmarks wait for it).</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    public async Task WhenIdleAsync(CancellationToken cancellationToken = default)
    {
        while (!_running.IsEmpty)
        {
            await Task.WhenAll(_running.Keys).WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Cancels pending and running builds and waits for them to stop.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _pending.Clear();
        }

        await _disposal.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_running.Keys).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _disposal.Dispose();
        _oneAtATime.Dispose();
    }

    /// <summary>
    /// The tenant-wide partition's index from its snapshot, if one was stored at <paramref name="dataVersion"/> and decodes
    /// to an index without private rows; null otherwise (the caller loads from the chunks).
    /// </summary>
    internal async Task<TIndex?> TryReadAsync<TIndex>(ISearchSession session, IndexSnapshotKey key, long dataVersion, Func<byte[], TIndex> decode,
        Func<TIndex, bool> hasPrivateRows, CancellationToken cancellationToken)
        where TIndex : class, IRetrievalIndex
    {
        var bytes = await session.ReadSnapshotAsync(key, dataVersion, cancellationToken).ConfigureAwait(false);
        if (bytes is null)
        {
            return null;
        }

        if (SnapshotWriter.IsOtherFormat(bytes))
        {
            // Written by an older release: expected once per tenant after an upgrade, so no warning. The caller loads from
            // the chunks and offers the index, which replaces this snapshot in the current format.
            LogOtherFormat(session.TenantId, key.ToString(), dataVersion);
            return null;
        }

        try
        {
            var index = decode(bytes);
            if (!hasPrivateRows(index))
            {
                return index;
            }

            LogUnusable(session.TenantId, key.ToString(), dataVersion, "it holds private rows");
        }
        catch (InvalidDataException ex)
        {
            LogUnusable(session.TenantId, key.ToString(), dataVersion, ex.Message);
        }

        return null;
    }

    /// <summary>
    /// A tenant-wide partition was just loaded from its chunks at <paramref name="dataVersion"/>: store it as the tenant's
    /// snapshot in the background if it is large enough. Never blocks.
    /// </summary>
    internal void Offer(ISearchSession session, IndexSnapshotKey key, long dataVersion, IRetrievalIndex index, Func<byte[]> serialize)
    {
        if (index.Count < MinRows)
        {
            return;
        }

        var context = session.Context;
        var rows = index.Count;
        Schedule($"offer|{session.TenantId}|{key}", async token => await WriteAsync(context, key, dataVersion, rows, serialize(), token).ConfigureAwait(false));
    }

    private async Task<long> WriteAsync(TenantContext context, IndexSnapshotKey key, long version, int rows, byte[] snapshot, CancellationToken cancellationToken)
    {
        if (await _writes.WriteAsync(context, key, version, rows, snapshot, cancellationToken).ConfigureAwait(false))
        {
            return snapshot.Length;
        }

        LogOutdated(context.Tenant.Value, key.ToString(), version);
        return 0;
    }

    // Debounced per key: the first request starts the wait, later ones replace the work to do; one build at a time.
    private void Schedule(string key, Func<CancellationToken, Task> work)
    {
        CancellationToken token;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            var waiting = _pending.ContainsKey(key);
            _pending[key] = work;
            if (waiting)
            {
                return;
            }

            token = _disposal.Token;
        }

        // On the thread pool from the start: the caller (a search) never runs any of it.
        var run = Task.Run(() => RunAsync(key, token), CancellationToken.None);
        _running.TryAdd(run, 0);
        _ = run.ContinueWith(done => _running.TryRemove(done, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task RunAsync(string key, CancellationToken token)
    {
        try
        {
            await Task.Delay(_options.Debounce, token).ConfigureAwait(false);
            Func<CancellationToken, Task>? work;
            lock (_gate)
            {
                _pending.Remove(key, out work);
            }

            if (work is null)
            {
                return;
            }

            await _oneAtATime.WaitAsync(token).ConfigureAwait(false);
            try
            {
                await work(token).ConfigureAwait(false);
            }
            finally
            {
                _oneAtATime.Release();
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Disposed: the snapshot is rebuilt by the next process that loads the partition.
        }
        catch (Exception ex)
        {
            // A snapshot is an optimisation: a failed build leaves the normal load in place (deleted or moving tenants, a
            // database away).
            LogBuildFailed(ex, key);
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "Rebuilt the index snapshots of tenant {Tenant} at version {Version}: {Bytes} bytes in {ElapsedMs:F0} ms")]
    private partial void LogRebuilt(string tenant, long version, long bytes, double elapsedMs);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "Tenant {Tenant} has fewer than {MinRows} shared chunks: no index snapshot ({Deleted} deleted)")]
    private partial void LogTooSmall(string tenant, int minRows, int deleted);

    [LoggerMessage(EventId = 3, Level = LogLevel.Debug, Message = "The {Kind} index snapshot of tenant {Tenant} at version {Version} was not stored: the tenant's data changed meanwhile")]
    private partial void LogOutdated(string tenant, string kind, long version);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "The {Kind} index snapshot of tenant {Tenant} at version {Version} is unusable ({Reason}); the index loads from its chunks")]
    private partial void LogUnusable(string tenant, string kind, long version, string reason);

    [LoggerMessage(EventId = 6, Level = LogLevel.Debug, Message = "The {Kind} index snapshot of tenant {Tenant} at version {Version} is of an older format; the index loads from its chunks and is stored again")]
    private partial void LogOtherFormat(string tenant, string kind, long version);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "Building index snapshot {Key} failed; searches load the index from its chunks")]
    private partial void LogBuildFailed(Exception exception, string key);
}
