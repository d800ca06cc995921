using Npgsql;
using TenantRag.Postgres.Cluster;
using TenantRag.Postgres.Installation;

namespace TenantRag.Postgres.Fleet;

/// <summary>
/// What a server must offer before it joins the fleet: PostgreSQL 15 or newer, and a bootstrap role that may create
/// databases and roles (and, on 15, the BYPASSRLS admin role: a superuser), replicate, and a server with
/// <c>wal_level = logical</c> and replication slots, for the moves between servers. Each missing item comes back as
/// one line naming the SQL or setting that grants it. Reads only; changes nothing.
/// </summary>
internal static class ServerRequirements
{
    /// <summary>The server's version (<c>server_version</c>) and every missing item, one line each.</summary>
    public static async Task<(string Version, IReadOnlyList<string> Missing)> CheckAsync(ServerEndpoint endpoint, Installation.Installation installation,
        CancellationToken cancellationToken)
    {
        var names = installation.Names;
        var builder = endpoint.BootstrapConnectionString();
        builder.Pooling = false;
        builder.Timeout = 10;
        await using var source = NpgsqlDataSource.Create(builder.ConnectionString);
        await using var connection = await source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand("""
            SELECT current_setting('server_version_num')::int, current_setting('server_version'),
                   r.rolsuper, r.rolcreatedb, r.rolcreaterole, r.rolreplication, r.rolbypassrls,
                   current_setting('wal_level'), current_setting('max_replication_slots')::int, current_setting('max_wal_senders')::int,
                   EXISTS (SELECT 1 FROM pg_database WHERE datname = $1), EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $2)
            FROM pg_roles r WHERE r.rolname = current_user
            """, connection);
        cmd.Parameters.Add(new() { Value = names.Catalog });
        cmd.Parameters.Add(new() { Value = names.AdminRole });
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var versionNumber = reader.GetInt32(0);
        var version = reader.GetString(1);
        var (super, createDb, createRole, replication, bypassRls) = (reader.GetBoolean(2), reader.GetBoolean(3), reader.GetBoolean(4), reader.GetBoolean(5), reader.GetBoolean(6));
        var (walLevel, slots, senders) = (reader.GetString(7), reader.GetInt32(8), reader.GetInt32(9));
        var (hasCatalog, hasAdmin) = (reader.GetBoolean(10), reader.GetBoolean(11));
        await reader.DisposeAsync().ConfigureAwait(false);

        var role = Quote(endpoint.BootstrapUsername);
        var missing = new List<string>();
        if (versionNumber < 150000)
        {
            missing.Add($"PostgreSQL 15 or newer (this is {version}): upgrade the server");
        }

        Require(missing, super || createDb, $"CREATEDB: ALTER ROLE {role} CREATEDB;");
        Require(missing, super || createRole, $"CREATEROLE: ALTER ROLE {role} CREATEROLE;");
        Require(missing, super || replication, $"REPLICATION (tenant moves): ALTER ROLE {role} REPLICATION;");
        if (versionNumber < 160000)
        {
            Require(missing, super, $"SUPERUSER (on PostgreSQL 15 only a superuser may create the BYPASSRLS role {names.AdminRole}): ALTER ROLE {role} SUPERUSER;, or use PostgreSQL 16 or newer with BYPASSRLS");
        }
        else
        {
            Require(missing, super || bypassRls, $"BYPASSRLS (for the role {names.AdminRole}): ALTER ROLE {role} BYPASSRLS;");
        }

        Require(missing, walLevel == "logical", $"wal_level = logical (tenant moves; it is '{walLevel}'): ALTER SYSTEM SET wal_level = logical; then restart the server");
        Require(missing, slots > 0, "max_replication_slots > 0 (tenant moves): ALTER SYSTEM SET max_replication_slots = 10; then restart the server");
        Require(missing, senders > 0, "max_wal_senders > 0 (tenant moves): ALTER SYSTEM SET max_wal_senders = 10; then restart the server");
        Require(missing, !hasCatalog, $"a server without a catalog: it holds the database {names.Catalog}, so it is the primary of an installation (this one's or another's); a server belongs to one fleet only");
        if (hasAdmin && !hasCatalog && !await AdminLogsInAsync(endpoint, installation, cancellationToken).ConfigureAwait(false))
        {
            missing.Add($"a server without another installation's roles: the role {names.AdminRole} exists there with another password; use another Database:Prefix, or drop that installation");
        }

        return (version, missing);
    }

    // The admin role of the same prefix exists: ours (an earlier add) logs in with our password, another installation's does not.
    private static async Task<bool> AdminLogsInAsync(ServerEndpoint endpoint, Installation.Installation installation, CancellationToken cancellationToken)
    {
        var builder = endpoint.ConnectionString(installation.Names.AdminRole, installation.Secrets.AdminPassword, installation.Names.Shared);
        builder.Pooling = false;
        builder.Timeout = 10;
        try
        {
            await using var source = NpgsqlDataSource.Create(builder.ConnectionString);
            await using var connection = await source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.InvalidCatalogName or PostgresErrorCodes.InsufficientPrivilege)
        {
            // Past the password check: the role is ours, its database is missing or closed to it.
            return true;
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification)
        {
            return false;
        }
    }

    private static void Require(List<string> missing, bool met, string line)
    {
        if (!met)
        {
            missing.Add(line);
        }
    }

    private static string Quote(string role) => "\"" + UsageException.Echo(role).Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
