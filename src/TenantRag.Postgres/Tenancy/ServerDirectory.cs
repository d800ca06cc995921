using TenantRag.Postgres.Cluster;
using TenantRag.Postgres.Pooler;

namespace TenantRag.Postgres.Tenancy;

/// <summary>
/// Where each server of the fleet is, as the primary's catalog says (<c>tenantrag.servers</c>), as an
/// <see cref="Installation.Installation"/> on that server: tenant sessions, tenant creation and deletion and the job
/// queue route by it, and a server's shared database is reached through its pooler when it has one (<c>server add|set
/// --pooler-url</c>). Read as the serving role (host, port, TLS mode and pooler only) and trusted for
/// <see cref="Installation.TenancyOptions.CatalogCacheTtl"/>, like a looked-up tenant, or until the catalog notifies a
/// change of the server's row (<see cref="CatalogListener"/>). The primary is never looked up.
/// No bootstrap password is needed: the admin, serving and dedicated roles have the same passwords on every server.
/// </summary>
public sealed class ServerDirectory
{
    private readonly Installation.Installation _primary;
    private readonly DataSourceRegistry _registry;
    private readonly CatalogEntryCache<string, Installation.Installation> _servers;

    /// <summary>Creates the directory of <paramref name="primary"/>'s fleet, reading the catalog through <paramref name="registry"/>.</summary>
    internal ServerDirectory(Installation.Installation primary, DataSourceRegistry registry, CatalogFreshness freshness)
    {
        _primary = primary;
        _registry = registry;
        _servers = new(freshness, StringComparer.Ordinal);
    }

    /// <summary>The installation on server <paramref name="serverId"/>.</summary>
    /// <exception cref="TenantRagException">The catalog has no such server, or it was removed.</exception>
    public async ValueTask<Installation.Installation> GetAsync(string serverId, CancellationToken cancellationToken = default)
    {
        if (serverId == _primary.ServerId)
        {
            return _primary;
        }

        if (_servers.TryGet(serverId, _primary.Options.CatalogCacheTtl, out var known))
        {
            return known!;
        }

        var stamp = _servers.Stamp();
        using var lease = _registry.App(_primary, _primary.Names.Catalog, 4);
        await using var cmd = lease.DataSource.CreateCommand("SELECT host, port, ssl_mode, pooler_host, pooler_port FROM tenantrag.servers WHERE id = $1 AND status <> 'removed'");
        cmd.Parameters.Add(new() { Value = serverId });
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            _servers.Invalidate(serverId);
            throw new TenantRagException($"server '{serverId}' is not in the fleet ('tenantrag server list' shows the servers)");
        }

        var (host, port, ssl) = (reader.GetString(0), reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetString(2));
        var pooler = reader.IsDBNull(3) ? null : new PoolerEndpoint { Host = reader.GetString(3), Port = reader.GetInt32(4) };
        var server = known is not null && known.Endpoint.Host == host && known.Endpoint.Port == port
            && known.Endpoint.Extra.GetValueOrDefault("SSL Mode") == ssl && known.Options.PoolerUrl == pooler?.Address
            ? known
            : _primary.OnServer(serverId, new ServerEndpoint
            {
                Host = host,
                Port = port,
                BootstrapUsername = string.Empty,
                BootstrapPassword = string.Empty,
                Extra = ssl is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["SSL Mode"] = ssl },
            }, pooler);
        _servers.Set(serverId, server, stamp);
        return server;
    }

    /// <summary>Forgets where server <paramref name="serverId"/> is: its catalog row changed (<see cref="CatalogListener"/>).</summary>
    public void Invalidate(string serverId) => _servers.Invalidate(serverId);

    /// <summary>Forgets where every server is.</summary>
    public void InvalidateAll() => _servers.Clear();

    /// <summary>The installation on the server <paramref name="tenant"/> lives on.</summary>
    public ValueTask<Installation.Installation> ForAsync(TenantRag.Tenancy.TenantInfo tenant, CancellationToken cancellationToken = default) =>
        GetAsync(tenant.Server, cancellationToken);
}
