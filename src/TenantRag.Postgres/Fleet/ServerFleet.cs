using Npgsql;
using TenantRag.Postgres.Cluster;
using TenantRag.Postgres.Installation;
using TenantRag.Postgres.Tenancy;

namespace TenantRag.Postgres.Fleet;

/// <summary>
/// The servers of an installation (<c>tenantrag server add|list|remove</c>), recorded in the primary's catalog
/// (<c>tenantrag.servers</c>). Every server runs the same roles with the same passwords as the primary, so the serving
/// role logs in everywhere; each server's bootstrap password is kept by <see cref="ServerCredentials"/>.
/// </summary>
public sealed partial class ServerFleet(TenantRagDatabase database, TenantRagHome home)
{
    private const string Columns = "id, host, port, database_name, username, ssl_mode, capacity, status, credentials, created_at";

    private Installation.Installation Primary => database.Installation;

    // The primary's catalog as the admin role: the fleet's one source of truth.
    private DataSourceRegistry.Lease CatalogAdmin() => database.Registry.Admin(Primary, Primary.Names.Catalog);

    /// <summary>
    /// Checks <paramref name="endpoint"/> (<see cref="ServerRequirements"/>), installs the roles, template and shared
    /// database on it, keeps its password (in the server's file, or nowhere when <paramref name="passwordVariable"/>
    /// names where it is) and records it. A server already in the fleet (by name, or by host and port) is an error and
    /// changes nothing; a removed one may be added again.
    /// </summary>
    /// <exception cref="ServerRequirementsException">Something the features need is missing; nothing was changed.</exception>
    public async Task<ServerReport> AddAsync(string name, ServerEndpoint endpoint, int? capacity, string? passwordVariable, CancellationToken cancellationToken = default)
    {
        ServerName.Parse(name, "server");
        if (name == ServerName.Primary)
        {
            throw new UsageException("'primary' is the installation's own server (the one holding the catalog): give the new server another name");
        }

        if (capacity is <= 0)
        {
            throw new UsageException($"--capacity must be a positive number of tenants, not {capacity}");
        }

        foreach (var server in await ReadAsync(null, cancellationToken).ConfigureAwait(false))
        {
            if (server.Status != "removed" && (server.Name == name || (server.Host == endpoint.Host && server.Port == endpoint.Port)))
            {
                throw new TenantRagException($"server '{server.Name}' ({server.Host}:{server.Port}) is already in the fleet: nothing changed ('tenantrag server list' shows it)");
            }
        }

        var (_, missing) = await ServerRequirements.CheckAsync(endpoint, Primary, cancellationToken).ConfigureAwait(false);
        if (missing.Count > 0)
        {
            throw new ServerRequirementsException(name, missing);
        }

        await new Installer(new Installation.Installation(endpoint, Primary.Secrets, Primary.Options)).EnsureMemberAsync(cancellationToken).ConfigureAwait(false);
        var credentials = passwordVariable is null ? ServerCredentials.FileReference : ServerCredentials.EnvironmentReference(passwordVariable);
        if (passwordVariable is null)
        {
            ServerCredentials.Save(home, name, endpoint.BootstrapPassword);
        }
        else
        {
            ServerCredentials.Delete(home, name);
        }

        await RecordAsync(name, endpoint, capacity, credentials, cancellationToken).ConfigureAwait(false);
        return (await ListAsync(cancellationToken).ConfigureAwait(false)).Single(r => r.Server.Name == name);
    }

    /// <summary>
    /// Marks a server removed: refused for the primary and while the catalog maps any tenant to it. Its databases are
    /// left alone; its kept password file is deleted.
    /// </summary>
    public async Task RemoveAsync(string name, CancellationToken cancellationToken = default)
    {
        ServerName.Parse(name, "server");
        if (name == ServerName.Primary)
        {
            throw new TenantRagException("'primary' holds the catalog and cannot be removed");
        }

        // Lock the server's row first, then count its tenants in a statement of its own: its snapshot is taken after the
        // lock is held, so it sees every tenant a placement committed while this waited for that placement's lock on
        // the row (one statement would count with a snapshot from before the wait). A placement after this sees the
        // server removed.
        using var admin = CatalogAdmin();
        await using var connection = await admin.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        long found, tenants;
        await using (var locked = new NpgsqlCommand("SELECT count(*) FROM (SELECT id FROM tenantrag.servers WHERE id = $1 AND status <> 'removed' FOR UPDATE) s", connection, tx))
        {
            locked.Parameters.Add(new() { Value = name });
            found = (long)(await locked.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }

        await using (var mapped = new NpgsqlCommand("SELECT count(*) FROM tenantrag.tenants WHERE server_id = $1", connection, tx))
        {
            mapped.Parameters.Add(new() { Value = name });
            tenants = (long)(await mapped.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }

        if (found > 0 && tenants == 0)
        {
            await using var remove = new NpgsqlCommand("UPDATE tenantrag.servers SET status = 'removed' WHERE id = $1", connection, tx);
            remove.Parameters.Add(new() { Value = name });
            await remove.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await CatalogNotifications.NotifyServerAsync(connection, tx, name, cancellationToken).ConfigureAwait(false);
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        if (found == 0)
        {
            throw new TenantRagException($"there is no server '{name}' in the fleet: 'tenantrag server list' shows them");
        }

        if (tenants > 0)
        {
            throw new TenantRagException($"server '{name}' still holds {tenants} tenant{(tenants == 1 ? string.Empty : "s")}: move them off first ('tenantrag server drain' is not built yet); nothing changed");
        }

        ServerCredentials.Delete(home, name);
    }

    private async Task RecordAsync(string name, ServerEndpoint endpoint, int? capacity, string credentials, CancellationToken cancellationToken)
    {
        // Every serving process forgets where a server of that name was (a removed one added again at a new address).
        using var admin = CatalogAdmin();
        await using var connection = await admin.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO tenantrag.servers (id, host, port, database_name, username, ssl_mode, capacity, status, credentials)
            VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', $8)
            ON CONFLICT (id) DO UPDATE SET host = excluded.host, port = excluded.port, database_name = excluded.database_name,
                username = excluded.username, ssl_mode = excluded.ssl_mode, capacity = excluded.capacity, status = 'active',
                credentials = excluded.credentials, created_at = now()
            WHERE tenantrag.servers.status = 'removed'
            """, connection, tx);
        cmd.Parameters.Add(new() { Value = name });
        cmd.Parameters.Add(new() { Value = endpoint.Host });
        cmd.Parameters.Add(new() { Value = endpoint.Port });
        cmd.Parameters.Add(new() { Value = endpoint.BootstrapDatabase });
        cmd.Parameters.Add(new() { Value = endpoint.BootstrapUsername });
        cmd.Parameters.Add(new() { Value = endpoint.Extra.TryGetValue("SSL Mode", out var ssl) ? ssl : DBNull.Value });
        cmd.Parameters.Add(new() { Value = capacity is { } c ? c : DBNull.Value });
        cmd.Parameters.Add(new() { Value = credentials });
        if (await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
        {
            throw new TenantRagException($"server '{name}' was added by another process meanwhile: 'tenantrag server list' shows it");
        }

        await CatalogNotifications.NotifyServerAsync(connection, tx, name, cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<IReadOnlyList<FleetServer>> ReadAsync(string? name, CancellationToken cancellationToken)
    {
        using var admin = CatalogAdmin();
        await using var cmd = admin.DataSource.CreateCommand($"SELECT {Columns} FROM tenantrag.servers WHERE $1::text IS NULL OR id = $1 ORDER BY id <> 'primary', id");
        cmd.Parameters.Add(new() { Value = name is null ? DBNull.Value : name });
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var servers = new List<FleetServer>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            servers.Add(new FleetServer
            {
                Name = reader.GetString(0),
                Host = reader.GetString(1),
                Port = reader.GetInt32(2),
                Database = reader.GetString(3),
                Username = reader.IsDBNull(4) ? null : reader.GetString(4),
                SslMode = reader.IsDBNull(5) ? null : reader.GetString(5),
                Capacity = reader.IsDBNull(6) ? null : reader.GetInt32(6),
                Status = reader.GetString(7),
                Credentials = reader.IsDBNull(8) ? null : reader.GetString(8),
                CreatedAt = reader.GetFieldValue<DateTimeOffset>(9),
            });
        }

        return servers;
    }
}
