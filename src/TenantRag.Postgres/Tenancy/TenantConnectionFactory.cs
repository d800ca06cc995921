using System.Collections.Concurrent;
using Npgsql;
using TenantRag.Postgres.Quotas;
using TenantRag.Tenancy;

namespace TenantRag.Postgres.Tenancy;

/// <summary>
/// Opens tenant sessions for both models: shared tenants through the serving role's pool on the shared database,
/// dedicated tenants through their own login role's small pool on their own database. The tenant is looked up in
/// the catalog (briefly cached) and must be active. Each session goes to the server the tenant's catalog row names
/// (<see cref="ServerDirectory"/>), with pools kept per server.
/// </summary>
public sealed class TenantConnectionFactory : ITenantConnectionFactory
{
    private readonly Installation.Installation _installation;
    private readonly DataSourceRegistry _registry;
    private readonly CatalogEntryCache<TenantSlug, TenantInfo?> _cache;
    private readonly ConcurrentDictionary<TenantSlug, long> _lastActiveWritten = new();

    // Sessions open now per tenant id, and the pool key of each dedicated tenant this process opened a pool for.
    private readonly ConcurrentDictionary<string, int> _openSessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _dedicatedPools = new(StringComparer.Ordinal);

    /// <summary>Creates the factory over <paramref name="registry"/>'s pools.</summary>
    public TenantConnectionFactory(Installation.Installation installation, DataSourceRegistry registry)
    {
        _installation = installation;
        _registry = registry;
        _cache = new(Freshness);
        Servers = new ServerDirectory(installation, registry, Freshness);
    }

    /// <summary>How recently the catalog listener heard every change (without one, never: entries live for the TTL).</summary>
    internal CatalogFreshness Freshness { get; } = new();

    /// <summary>Where each server of the fleet is: the tenant catalog and the job queue route by it too.</summary>
    public ServerDirectory Servers { get; }

    /// <inheritdoc />
    public async Task<ITenantSession> OpenAsync(TenantContext context, CancellationToken cancellationToken = default) =>
        await OpenSessionAsync(context, cancellationToken).ConfigureAwait(false);

    /// <summary>Like <see cref="OpenAsync"/>, typed for the Postgres stores.</summary>
    /// <exception cref="TenantNotFoundException">
    /// No active tenant has that slug, or (with <see cref="TenantContext.TenantId"/> set) the tenant is no longer the
    /// creation the context was bound to, or its database or login role is gone (deleted by another process).
    /// </exception>
    public async Task<TenantSession> OpenSessionAsync(TenantContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        for (var attempt = 1; ; attempt++)
        {
            TenantInfo? tenant = null;
            TenantSession? session = null;
            try
            {
                tenant = await ResolveAsync(context, cancellationToken).ConfigureAwait(false);
                session = await TenantSession.OpenAsync(context, tenant, await LeaseForAsync(tenant, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
                session.Closed = Opened(tenant.Id);
                await TouchAsync(tenant.Slug, cancellationToken).ConfigureAwait(false);
                return session;
            }
            catch (Exception ex)
            {
                if (session is not null)
                {
                    await session.DisposeAsync().ConfigureAwait(false);
                }

                if (attempt >= 3 || cancellationToken.IsCancellationRequested)
                {
                    throw;
                }

                if (tenant is { Mode: TenancyMode.Dedicated } && ex is PostgresException { SqlState: PostgresErrorCodes.InvalidPassword
                    or PostgresErrorCodes.InvalidAuthorizationSpecification or PostgresErrorCodes.InvalidCatalogName })
                {
                    // The tenant's login role or database is gone: another process deleted the tenant (and may have
                    // created it again) since its catalog entry was cached here. Look again: a deleted tenant is then
                    // not found, a re-created one is opened afresh (if the context is not bound to the old one).
                    Invalidate(tenant.Slug);
                    var server = await Servers.ForAsync(tenant, cancellationToken).ConfigureAwait(false);
                    await _registry.EvictAsync(Pools.DedicatedKey(server, tenant.Slug)).ConfigureAwait(false);
                    continue;
                }

                if (ex is not NpgsqlException { IsTransient: true })
                {
                    throw;
                }

                // After a server restart the pools still hold connections to the old server. Nothing of the tenant's
                // work has run yet (opening a session is the first thing done on a connection), so drop the stale
                // connections and open again.
                _registry.ClearAll();
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> in one tenant session and commits it. A write the database refused because the
    /// tenant was deleted meanwhile, by this process or another (its registry row is gone, see
    /// <c>005_tenant_registry.sql</c>), becomes <see cref="TenantNotFoundException"/>: nothing of it was written.
    /// A write refused because the tenant moved away, or is moving (its writes are fenced in the database it leaves, see
    /// <c>009_online_moves.sql</c>), runs again where the catalog says the tenant lives now; while the fence lasts it
    /// waits (up to <see cref="MovingWriteWait"/>), then gives up with <see cref="TenantMovingException"/>. A write over one
    /// of the tenant's quotas (checked by the database, <c>011_quotas.sql</c>) becomes <see cref="QuotaExceededException"/>. Either way
    /// nothing of a refused attempt was written, so <paramref name="work"/> may run more than once, each time afresh.
    /// </summary>
    public async Task<T> WriteAsync<T>(TenantContext context, Func<TenantSession, CancellationToken, Task<T>> work, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        var fence = new FenceWait(MovingWriteWait);
        while (true)
        {
            TenantInfo? at = null;
            try
            {
                await using var session = await OpenSessionAsync(context, cancellationToken).ConfigureAwait(false);
                at = session.Tenant;
                var result = await work(session, cancellationToken).ConfigureAwait(false);
                await session.CommitAsync(cancellationToken).ConfigureAwait(false);
                return result;
            }
            catch (PostgresException ex) when (QuotaErrors.IsQuotaExceeded(ex))
            {
                // Over one of the tenant's quotas (011_quotas.sql): rolled back, nothing of it was written.
                throw QuotaErrors.ToException(ex, context.Tenant);
            }
            catch (PostgresException ex) when (at is not null && (TenantRegistry.IsFenced(ex) || TenantRegistry.IsMoving(ex)))
            {
                // Where does the tenant live now? Gone (deleted, or created again): the one written to was deleted.
                var now = await RelocateAsync(at, cancellationToken).ConfigureAwait(false) ?? throw new TenantNotFoundException(context.Tenant);

                if (now.Server != at.Server || now.Database != at.Database)
                {
                    continue; // moved: write there
                }

                if (!TenantRegistry.IsMoving(ex))
                {
                    throw new TenantNotFoundException(context.Tenant);
                }

                // Fenced, and the catalog does not name the new place yet: the move is switching. Wait a little.
                if (!await fence.PauseAsync(cancellationToken).ConfigureAwait(false))
                {
                    throw new TenantMovingException(context.Tenant) { IsTransient = true };
                }
            }
        }
    }

    /// <summary>
    /// Where the creation of the tenant <paramref name="was"/> describes lives now, read afresh from the catalog (for
    /// work refused where it used to live: the tenant moved, or was deleted); null when that creation is gone.
    /// </summary>
    public async Task<TenantInfo?> RelocateAsync(TenantInfo was, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(was);
        Invalidate(was.Slug);
        try
        {
            var now = await ResolveAsync(was.Slug, cancellationToken).ConfigureAwait(false);
            return now.Id == was.Id ? now : null;
        }
        catch (TenantNotFoundException)
        {
            return null;
        }
    }

    /// <summary>
    /// How long a write waits for a moving tenant's fence to end before it answers <see cref="TenantMovingException"/>
    /// (a move fences writes for about a second).
    /// </summary>
    public static TimeSpan MovingWriteWait { get; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// <paramref name="context"/> bound to the creation of its tenant that is live now (<see cref="TenantContext.TenantId"/>),
    /// so that work which outlives a delete never reaches a tenant created again under the same slug.
    /// </summary>
    /// <exception cref="TenantNotFoundException">No active tenant has that slug (or the context is bound to another creation).</exception>
    public async Task<TenantContext> BindAsync(TenantContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var tenant = await ResolveAsync(context, cancellationToken).ConfigureAwait(false);
        return context.TenantId == tenant.Id ? context : context with { TenantId = tenant.Id };
    }

    // The active tenant the context names; when the context is bound to a creation and the cached entry names
    // another, the catalog is read again before the answer is "not found".
    private async Task<TenantInfo> ResolveAsync(TenantContext context, CancellationToken cancellationToken)
    {
        var tenant = await ResolveAsync(context.Tenant, cancellationToken).ConfigureAwait(false);
        if (context.TenantId is not { } bound || tenant.Id == bound)
        {
            return tenant;
        }

        Invalidate(context.Tenant);
        tenant = await ResolveAsync(context.Tenant, cancellationToken).ConfigureAwait(false);
        return tenant.Id == bound ? tenant : throw new TenantNotFoundException(context.Tenant);
    }

    /// <inheritdoc />
    public void Invalidate(TenantSlug slug) => _cache.Invalidate(slug);

    /// <summary>
    /// Forgets every cached catalog entry, of tenants and of servers: anything may have changed (the
    /// <see cref="CatalogListener"/> was not listening for a while, or was told <c>*</c>).
    /// </summary>
    public void InvalidateAll()
    {
        _cache.Clear();
        Servers.InvalidateAll();
    }

    /// <inheritdoc />
    public async Task<TenantInfo> ResolveAsync(TenantSlug slug, CancellationToken cancellationToken = default)
    {
        if (!_cache.TryGet(slug, _installation.Options.CatalogCacheTtl, out var cached))
        {
            var stamp = _cache.Stamp();
            using var lease = CatalogLease();
            await using var cmd = lease.DataSource.CreateCommand($"SELECT {CatalogReader.Columns} FROM tenantrag.tenants WHERE slug = $1");
            cmd.Parameters.Add(new() { Value = slug.Value });
            cached = (await CatalogReader.ReadAllAsync(cmd, cancellationToken).ConfigureAwait(false)).SingleOrDefault();
            _cache.Set(slug, cached, stamp);
        }

        return cached is { Status: "active" } tenant ? tenant : throw new TenantNotFoundException(slug);
    }

    /// <inheritdoc />
    /// <remarks>One <c>SELECT 1</c> on the catalog as the serving role: what a server needs before it can resolve any tenant.</remarks>
    public async Task PingAsync(CancellationToken cancellationToken = default)
    {
        using var lease = CatalogLease();
        await using var cmd = lease.DataSource.CreateCommand("SELECT 1");
        await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Flags the tenant in the catalog as having upload jobs to do, so the job workers of every serving process look in
    /// its database (see <c>Catalog/003_ingest_requests.sql</c>). Idempotent; the workers clear the flag.
    /// </summary>
    public async Task RequestIngestionAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        using var lease = CatalogLease();
        await using var cmd = lease.DataSource.CreateCommand("UPDATE tenantrag.tenants SET ingest_requested_at = now() WHERE id = $1");
        cmd.Parameters.Add(new() { Value = tenantId });
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The connections each tenant (by id) holds in this process now, only tenants holding some: a dedicated tenant its
    /// pool's physical connections (idle ones included, until the pool's idle timeout closes them); a shared tenant the
    /// sessions it has open on the shared pool (normally 0 between requests: the pool's connections serve every tenant).
    /// </summary>
    public IReadOnlyDictionary<string, int> ConnectionsByTenant()
    {
        var connections = _openSessions.Where(s => s.Value > 0).ToDictionary(s => s.Key, s => s.Value, StringComparer.Ordinal);
        var physical = PoolConnections.Snapshot();
        foreach (var (key, tenant) in _dedicatedPools)
        {
            if (physical.TryGetValue(key, out var count))
            {
                connections[tenant] = Math.Max(connections.GetValueOrDefault(tenant), (int)Math.Min(count, int.MaxValue));
            }
            else
            {
                // The pool is closed (idle, or evicted); the next session's lease records it again.
                _dedicatedPools.TryRemove(new KeyValuePair<string, string>(key, tenant));
            }
        }

        return connections;
    }

    // Counts a session of the tenant open; the returned action, run when the session closes, counts it closed.
    private Action Opened(string tenantId)
    {
        _openSessions.AddOrUpdate(tenantId, 1, (_, n) => n + 1);
        return () =>
        {
            if (_openSessions.AddOrUpdate(tenantId, 0, (_, n) => n - 1) <= 0)
            {
                _openSessions.TryRemove(new KeyValuePair<string, int>(tenantId, 0));
            }
        };
    }

    private async Task<DataSourceRegistry.Lease> LeaseForAsync(TenantInfo tenant, CancellationToken cancellationToken)
    {
        var server = await Servers.ForAsync(tenant, cancellationToken).ConfigureAwait(false);
        if (tenant.Mode == TenancyMode.Dedicated)
        {
            _dedicatedPools[Pools.DedicatedKey(server, tenant.Slug)] = tenant.Id;
        }

        return tenant.Mode switch
        {
            TenancyMode.Shared => _registry.App(server, tenant.Database, server.Options.SharedMaxPoolSize),
            TenancyMode.Dedicated => _registry.Dedicated(server, tenant.Slug),
            _ => throw new InvalidOperationException($"unknown mode {tenant.Mode}"),
        };
    }

    private DataSourceRegistry.Lease CatalogLease() => _registry.App(_installation, _installation.Names.Catalog, 4);

    // Record activity at most once a minute per tenant, so the catalog knows which tenants are idle.
    private async Task TouchAsync(TenantSlug slug, CancellationToken cancellationToken)
    {
        var now = Environment.TickCount64;
        if (_lastActiveWritten.TryGetValue(slug, out var last) && now - last < 60_000)
        {
            return;
        }

        _lastActiveWritten[slug] = now;
        using var lease = CatalogLease();
        await using var cmd = lease.DataSource.CreateCommand("UPDATE tenantrag.tenants SET last_active_at = now() WHERE slug = $1");
        cmd.Parameters.Add(new() { Value = slug.Value });
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
