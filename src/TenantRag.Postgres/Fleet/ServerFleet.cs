using Npgsql;
using TenantRag.Postgres.Cluster;
using TenantRag.Postgres.Installation;
using TenantRag.Postgres.Pooler;
using TenantRag.Postgres.Tenancy;

namespace TenantRag.Postgres.Fleet;

/// <summary>
/// The servers of an installation (<c>tenantrag server add|list|set|remove</c>), recorded in the primary's catalog
/// (<c>tenantrag.servers</c>). Every server runs the same roles with the same passwords as the primary, so the serving
/// role logs in everywhere; each server's bootstrap password is kept by <see cref="ServerCredentials"/>.
/// </summary>
public sealed partial class ServerFleet(TenantRagDatabase database, TenantRagHome home)
{
    private const string Columns = "id, host, port, database_name, username, ssl_mode, capacity, status, credentials, created_at, pooler_host, pooler_port";

    private Installation.Installation Primary => database.Installation;

    // The primary's catalog as the admin role: the fleet's one source of truth.
    private DataSourceRegistry.Lease CatalogAdmin() => database.Registry.Admin(Primary, Primary.Names.Catalog);

    /// <summary>
    /// Checks <paramref name="endpoint"/> (<see cref="ServerRequirements"/>), installs the roles, template and shared
    /// database on it, keeps its password (in the server's file, or nowhere when <paramref name="passwordVariable"/>
    /// names where it is) and records it. A server already in the fleet (by name, or by host and port) is an error and
    /// changes nothing; a removed one may be added again. With <paramref name="pooler"/>, the serving role's sessions of
    /// its shared tenants go through that PgBouncer, which must answer before the server is installed and, once it is,
    /// let the serving role in to this server's shared database (<see cref="PoolerCheck"/>); otherwise the server is
    /// not added (what the installer made on it stays for the next add, which finds it in place).
    /// </summary>
    /// <exception cref="ServerRequirementsException">Something the features need is missing; nothing was changed.</exception>
    public async Task<ServerReport> AddAsync(string name, ServerEndpoint endpoint, int? capacity, string? passwordVariable, PoolerEndpoint? pooler = null,
        CancellationToken cancellationToken = default)
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

        if (pooler is not null)
        {
            await PoolerCheck.AnswersAsync(name, pooler, cancellationToken).ConfigureAwait(false);
        }

        await new Installer(new Installation.Installation(endpoint, Primary.Secrets, Primary.Options)).EnsureMemberAsync(cancellationToken).ConfigureAwait(false);
        if (pooler is not null)
        {
            await PoolerCheck.CheckAsync(name, Primary.OnServer(name, endpoint, pooler), pooler, cancellationToken).ConfigureAwait(false);
        }

        var credentials = passwordVariable is null ? ServerCredentials.FileReference : ServerCredentials.EnvironmentReference(passwordVariable);
        if (passwordVariable is null)
        {
            ServerCredentials.Save(home, name, endpoint.BootstrapPassword);
        }
        else
        {
            ServerCredentials.Delete(home, name);
        }

        await RecordAsync(name, endpoint, capacity, credentials, pooler, cancellationToken).ConfigureAwait(false);

        // Both were migrated just now: recorded, 'tenantrag migrate' passes them by until the next migration.
        using (var catalog = CatalogAdmin())
        {
            foreach (var (database, kind) in new[] { (Primary.Names.Template, "template"), (Primary.Names.Shared, "shared") })
            {
                await SchemaVersions.RecordAsync(catalog.DataSource, name, database, kind, Installer.TenantVersion, cancellationToken).ConfigureAwait(false);
            }
        }

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
            throw new TenantRagException($"server '{name}' still holds {tenants} tenant{(tenants == 1 ? string.Empty : "s")}: move them off first ('tenantrag server drain {name}'); nothing changed");
        }

        ServerCredentials.Delete(home, name);
    }

    /// <summary>
    /// How to reach server <paramref name="name"/> as its bootstrap role (the primary as the installation is configured),
    /// with the password where it is kept: for the work only a superuser may do, such as logical replication.
    /// </summary>
    /// <exception cref="TenantRagException">No such server in the fleet, or its password is not where the catalog says.</exception>
    public async Task<ServerEndpoint> BootstrapEndpointAsync(string name, CancellationToken cancellationToken = default)
    {
        if (name == ServerName.Primary)
        {
            return Primary.Endpoint;
        }

        var server = (await ReadAsync(name, cancellationToken).ConfigureAwait(false)).SingleOrDefault(s => s.Status != "removed")
            ?? throw new TenantRagException($"there is no server '{name}' in the fleet: 'tenantrag server list' shows them");
        return server.Endpoint(ServerCredentials.Read(home, name, server.Credentials!));
    }

    private async Task RecordAsync(string name, ServerEndpoint endpoint, int? capacity, string credentials, PoolerEndpoint? pooler, CancellationToken cancellationToken)
    {
        // Every serving process forgets where a server of that name was (a removed one added again at a new address).
        using var admin = CatalogAdmin();
        await using var connection = await admin.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO tenantrag.servers (id, host, port, database_name, username, ssl_mode, capacity, status, credentials, pooler_host, pooler_port)
            VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', $8, $9, $10)
            ON CONFLICT (id) DO UPDATE SET host = excluded.host, port = excluded.port, database_name = excluded.database_name,
                username = excluded.username, ssl_mode = excluded.ssl_mode, capacity = excluded.capacity, status = 'active',
                credentials = excluded.credentials, pooler_host = excluded.pooler_host, pooler_port = excluded.pooler_port, created_at = now()
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
        cmd.Parameters.Add(new() { Value = pooler is null ? DBNull.Value : pooler.Host });
        cmd.Parameters.Add(new() { Value = pooler is null ? DBNull.Value : pooler.Port });
        if (await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
        {
            throw new TenantRagException($"server '{name}' was added by another process meanwhile: 'tenantrag server list' shows it");
        }

        await CatalogNotifications.NotifyServerAsync(connection, tx, name, cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private Task<IReadOnlyList<FleetServer>> ReadAsync(string? name, CancellationToken cancellationToken) => ReadAsync(database, name, cancellationToken);

    /// <summary>The catalog's servers (or the one named), the primary first, then by name.</summary>
    internal static async Task<IReadOnlyList<FleetServer>> ReadAsync(TenantRagDatabase database, string? name, CancellationToken cancellationToken)
    {
        using var admin = database.Registry.Admin(database.Installation, database.Installation.Names.Catalog);
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
                Pooler = reader.IsDBNull(10) ? null : new PoolerEndpoint { Host = reader.GetString(10), Port = reader.GetInt32(11) },
            });
        }

        return servers;
    }
}
