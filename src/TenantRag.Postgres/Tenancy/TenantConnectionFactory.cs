using System.Collections.Concurrent;
using Npgsql;
using TenantRag.Tenancy;

namespace TenantRag.Postgres.Tenancy;

/// <summary>
/// Opens tenant sessions for both models: shared tenants through the serving role's pool on the shared database,
/// dedicated tenants through their own login role's small pool on their own database. The tenant is looked up in
/// the catalog (briefly cached) and must be active.
/// </summary>
public sealed class TenantConnectionFactory : ITenantConnectionFactory
{
    private readonly Installation.Installation _installation;
    private readonly DataSourceRegistry _registry;
    private readonly ConcurrentDictionary<TenantSlug, (TenantInfo? Tenant, long At)> _cache = new();
    private readonly ConcurrentDictionary<TenantSlug, long> _lastActiveWritten = new();

    /// <summary>Creates the factory over <paramref name="registry"/>'s pools.</summary>
    public TenantConnectionFactory(Installation.Installation installation, DataSourceRegistry registry)
    {
        _installation = installation;
        _registry = registry;
    }

    /// <inheritdoc />
    public async Task<ITenantSession> OpenAsync(TenantContext context, CancellationToken cancellationToken = default) =>
        await OpenSessionAsync(context, cancellationToken).ConfigureAwait(false);

    /// <summary>Like <see cref="OpenAsync"/>, typed for the Postgres stores.</summary>
    public async Task<TenantSession> OpenSessionAsync(TenantContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        for (var attempt = 1; ; attempt++)
        {
            TenantSession? session = null;
            try
            {
                var tenant = await ResolveAsync(context.Tenant, cancellationToken).ConfigureAwait(false);
                session = await TenantSession.OpenAsync(context, tenant, LeaseFor(tenant), cancellationToken).ConfigureAwait(false);
                await TouchAsync(tenant.Slug, cancellationToken).ConfigureAwait(false);
                return session;
            }
            catch (Exception ex)
            {
                if (session is not null)
                {
                    await session.DisposeAsync().ConfigureAwait(false);
                }

                if (ex is not NpgsqlException { IsTransient: true } || attempt >= 3 || cancellationToken.IsCancellationRequested)
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

    /// <summary>Forgets the cached catalog entry (after a delete in this process).</summary>
    public void Invalidate(TenantSlug slug) => _cache.TryRemove(slug, out _);

    /// <summary>The active tenant, or <see cref="TenantNotFoundException"/>.</summary>
    public async Task<TenantInfo> ResolveAsync(TenantSlug slug, CancellationToken cancellationToken = default)
    {
        var now = Environment.TickCount64;
        if (!_cache.TryGetValue(slug, out var cached) || now - cached.At > (long)_installation.Options.CatalogCacheTtl.TotalMilliseconds)
        {
            using var lease = CatalogLease();
            await using var cmd = lease.DataSource.CreateCommand($"SELECT {CatalogReader.Columns} FROM tenantrag.tenants WHERE slug = $1");
            cmd.Parameters.Add(new() { Value = slug.Value });
            var found = await CatalogReader.ReadAllAsync(cmd, cancellationToken).ConfigureAwait(false);
            cached = (found.SingleOrDefault(), now);
            _cache[slug] = cached;
        }

        return cached.Tenant is { Status: "active" } tenant ? tenant : throw new TenantNotFoundException(slug);
    }

    private DataSourceRegistry.Lease LeaseFor(TenantInfo tenant) => tenant.Mode switch
    {
        TenancyMode.Shared => _registry.App(_installation, tenant.Database, _installation.Options.SharedMaxPoolSize),
        TenancyMode.Dedicated => _registry.Dedicated(_installation, tenant.Slug),
        _ => throw new InvalidOperationException($"unknown mode {tenant.Mode}"),
    };

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
