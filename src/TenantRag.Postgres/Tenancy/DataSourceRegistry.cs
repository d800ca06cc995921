using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Npgsql;
using TenantRag.Postgres.Installation;

namespace TenantRag.Postgres.Tenancy;

/// <summary>
/// One <see cref="NpgsqlDataSource"/> per (database, role), created on first use and closed when unused for
/// <see cref="IdleTimeout"/>: an idle tenant then holds no connection and no pool. Leases keep a data source alive
/// while a session uses it.
/// </summary>
public sealed class DataSourceRegistry : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Timer _sweeper;
    private readonly Lock _gate = new();
    private readonly ILoggerFactory? _loggerFactory;
    private bool _disposed;

    /// <summary>
    /// Creates a registry that closes data sources idle longer than <paramref name="idleTimeout"/>, and keeps at most
    /// <paramref name="maxDataSources"/> open: past that, the least recently used unborrowed one is closed first.
    /// </summary>
    /// <param name="idleTimeout">How long an unused data source lives.</param>
    /// <param name="maxDataSources">Most data sources kept open at once.</param>
    /// <param name="loggerFactory">
    /// Receives Npgsql's own logs of every data source (the host's logging); null logs nothing, as Npgsql does without
    /// one. Statements are logged at Debug, an admin pool's not at all, and parameter values never (see <see cref="PoolLoggerFactory"/>).
    /// </param>
    public DataSourceRegistry(TimeSpan idleTimeout, int maxDataSources = int.MaxValue, ILoggerFactory? loggerFactory = null)
    {
        _loggerFactory = loggerFactory;
        IdleTimeout = idleTimeout;
        MaxDataSources = Math.Max(1, maxDataSources);
        var period = TimeSpan.FromMilliseconds(Math.Clamp(idleTimeout.TotalMilliseconds / 2, 200, 30_000));
        _sweeper = new Timer(_ => _ = SweepAsync(), null, period, period);
    }

    /// <summary>How long an unused data source lives.</summary>
    public TimeSpan IdleTimeout { get; }

    /// <summary>Most data sources kept open at once (every dedicated tenant has its own pool, and pools add up).</summary>
    public int MaxDataSources { get; }

    /// <summary>How many data sources are open now (for tests and usage figures).</summary>
    public int Count => _entries.Count;

    /// <summary>Borrows the data source for <paramref name="key"/>, creating it with <paramref name="connectionString"/>.</summary>
    public Lease Acquire(string key, Func<string> connectionString)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_entries.TryGetValue(key, out var entry))
            {
                EvictLeastRecentlyUsed(_entries.Count + 1 - MaxDataSources);
                entry = new Entry(Build(key, connectionString()));
                _entries[key] = entry;
            }

            entry.Leases++;
            entry.LastUsed = Environment.TickCount64;
            return new Lease(this, key, entry);
        }
    }

    // Named after its key, not its connection string (Npgsql's default name), since the name goes into traces and metrics.
    // An admin pool's statements can carry a generated password: they are neither logged nor traced.
    private NpgsqlDataSource Build(string key, string connectionString)
    {
        var admin = Pools.IsAdmin(key);
        var builder = new NpgsqlDataSourceBuilder(connectionString) { Name = key };
        if (_loggerFactory is not null)
        {
            builder.UseLoggerFactory(new PoolLoggerFactory(_loggerFactory, statements: !admin));
        }

        if (admin)
        {
            builder.ConfigureTracing(tracing => tracing.ConfigureCommandFilter(command => !SecretStatements.Carries(command.CommandText))
                .ConfigureBatchFilter(batch => !batch.BatchCommands.Any<NpgsqlBatchCommand>(command => SecretStatements.Carries(command.CommandText))));
        }

        return builder.Build();
    }

    // Called under the gate: closes up to `count` unborrowed data sources, least recently used first. Disposal runs in
    // the background; a data source with a lease is never closed.
    private void EvictLeastRecentlyUsed(int count)
    {
        if (count <= 0)
        {
            return;
        }

        foreach (var (key, entry) in _entries.Where(e => e.Value.Leases == 0).OrderBy(e => e.Value.LastUsed).Take(count).ToList())
        {
            _entries.TryRemove(key, out _);
            _ = entry.DataSource.DisposeAsync().AsTask();
        }
    }

    /// <summary>Drops every idle pooled connection (after the server restarted, they all point at the old one).</summary>
    public void ClearAll()
    {
        List<Entry> all;
        lock (_gate)
        {
            all = [.. _entries.Values];
        }

        foreach (var entry in all)
        {
            try
            {
                entry.DataSource.Clear();
            }
            catch (ObjectDisposedException)
            {
                // Evicted meanwhile.
            }
        }
    }

    /// <summary>Closes and forgets the data source for <paramref name="key"/> now (a dropped database).</summary>
    public async Task EvictAsync(string key)
    {
        Entry? entry;
        lock (_gate)
        {
            _entries.TryRemove(key, out entry);
        }

        if (entry is not null)
        {
            await entry.DataSource.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Closes every data source unused for longer than <see cref="IdleTimeout"/>; returns how many.</summary>
    public async Task<int> SweepAsync()
    {
        var idle = new List<Entry>();
        lock (_gate)
        {
            var now = Environment.TickCount64;
            foreach (var (key, entry) in _entries)
            {
                if (entry.Leases == 0 && now - entry.LastUsed >= (long)IdleTimeout.TotalMilliseconds)
                {
                    _entries.TryRemove(key, out _);
                    idle.Add(entry);
                }
            }
        }

        foreach (var entry in idle)
        {
            await entry.DataSource.DisposeAsync().ConfigureAwait(false);
        }

        return idle.Count;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        List<Entry> all;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            all = [.. _entries.Values];
            _entries.Clear();
        }

        await _sweeper.DisposeAsync().ConfigureAwait(false);
        foreach (var entry in all)
        {
            await entry.DataSource.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void Release(Entry entry)
    {
        lock (_gate)
        {
            entry.Leases--;
            entry.LastUsed = Environment.TickCount64;
        }
    }

    internal sealed class Entry(NpgsqlDataSource dataSource)
    {
        public NpgsqlDataSource DataSource { get; } = dataSource;

        public int Leases { get; set; }

        public long LastUsed { get; set; }
    }

    /// <summary>A borrowed data source; dispose to give it back.</summary>
    public sealed class Lease : IDisposable
    {
        private readonly DataSourceRegistry _registry;
        private readonly Entry _entry;
        private int _released;

        internal Lease(DataSourceRegistry registry, string key, Entry entry)
        {
            _registry = registry;
            _entry = entry;
            Key = key;
        }

        /// <summary>The registry key.</summary>
        public string Key { get; }

        /// <summary>The data source.</summary>
        public NpgsqlDataSource DataSource => _entry.DataSource;

        /// <inheritdoc />
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                _registry.Release(_entry);
            }
        }
    }
}
