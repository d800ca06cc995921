using Npgsql;

namespace TenantRag.Postgres.Fleet;

/// <summary><c>tenantrag server list</c>: the catalog's servers, each asked for its version, databases, connections and disk.</summary>
public sealed partial class ServerFleet
{
    /// <summary>
    /// Every server in the catalog, the primary first, with its tenants by model (from the catalog) and, unless removed,
    /// what it says now (asked as the installation's admin role, which exists on every server with the same password).
    /// A server that does not answer is reported with its error, not thrown.
    /// </summary>
    public async Task<IReadOnlyList<ServerReport>> ListAsync(CancellationToken cancellationToken = default)
    {
        var tenants = await CountTenantsAsync(cancellationToken).ConfigureAwait(false);
        var reports = new List<ServerReport>();
        foreach (var server in await ReadAsync(null, cancellationToken).ConfigureAwait(false))
        {
            var report = new ServerReport
            {
                Server = server,
                SharedTenants = tenants.GetValueOrDefault((server.Name, "shared")),
                DedicatedTenants = tenants.GetValueOrDefault((server.Name, "dedicated")),
                Pooler = PoolerOf(server),
            };
            reports.Add(server.Status == "removed" ? report : await AskAsync(server, report, cancellationToken).ConfigureAwait(false));
        }

        return reports;
    }

    // The primary's pooler is the setting (Database:PoolerUrl, or db start --pooler's), every other server's the catalog's.
    private Pooler.PoolerEndpoint? PoolerOf(FleetServer server) =>
        server.Name != ServerName.Primary ? server.Pooler
        : Primary.Options.PoolerAddress() is var (host, port) ? new Pooler.PoolerEndpoint { Host = host, Port = port }
        : null;

    private async Task<Dictionary<(string Server, string Mode), int>> CountTenantsAsync(CancellationToken cancellationToken)
    {
        using var admin = CatalogAdmin();
        await using var cmd = admin.DataSource.CreateCommand("SELECT server_id, mode, count(*)::int FROM tenantrag.tenants WHERE status = 'active' GROUP BY 1, 2");
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var counts = new Dictionary<(string, string), int>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            counts[(reader.GetString(0), reader.GetString(1))] = reader.GetInt32(2);
        }

        return counts;
    }

    private async Task<ServerReport> AskAsync(FleetServer server, ServerReport report, CancellationToken cancellationToken)
    {
        var names = Primary.Names;
        var builder = new NpgsqlConnectionStringBuilder(On(Primary, server).AdminConnectionString(names.Shared))
        {
            Pooling = false,
            Timeout = 5,
        };
        try
        {
            await using var source = NpgsqlDataSource.Create(builder.ConnectionString);
            await using var cmd = source.CreateCommand("""
                WITH ours AS (SELECT datname FROM pg_database WHERE datname IN ($1, $2, $3) OR datname LIKE $4)
                SELECT current_setting('server_version'),
                       (SELECT coalesce(array_agg(datname ORDER BY datname), '{}') FROM ours),
                       (SELECT count(*) FROM pg_stat_activity WHERE datname IN (SELECT datname FROM ours) AND pid <> pg_backend_pid()),
                       (SELECT coalesce(sum(pg_database_size(datname)), 0)::bigint FROM ours)
                """);
            cmd.Parameters.Add(new() { Value = names.Catalog });
            cmd.Parameters.Add(new() { Value = names.Template });
            cmd.Parameters.Add(new() { Value = names.Shared });
            cmd.Parameters.Add(new() { Value = names.DedicatedDatabasePattern });
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            return report with
            {
                Version = reader.GetString(0),
                Databases = reader.GetFieldValue<string[]>(1),
                Connections = reader.GetInt64(2),
                DiskBytes = reader.GetInt64(3),
            };
        }
        catch (NpgsqlException ex) when (!cancellationToken.IsCancellationRequested)
        {
            // The message of a failed connection names the host, never a password.
            return report with { Error = ex is PostgresException pg ? $"{pg.MessageText} (SQLSTATE {pg.SqlState})" : ex.Message };
        }
    }
}
