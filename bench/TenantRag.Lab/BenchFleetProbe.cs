using Npgsql;
using TenantRag.Postgres.Cluster;
using TenantRag.Postgres.Installation;

namespace TenantRag.Lab;

/// <summary>
/// What the bench reads from PostgreSQL itself, as the cluster's superuser on one connection of its own (named, so it
/// is never counted): the server's connections from <c>pg_stat_activity</c> and database sizes.
/// </summary>
internal sealed class BenchFleetProbe : IAsyncDisposable
{
    private const string ApplicationName = "tenantrag-bench-monitor";

    private readonly NpgsqlDataSource _monitor;
    private readonly InstallationNames _names;

    public BenchFleetProbe(ServerEndpoint endpoint, InstallationNames names)
    {
        _names = names;
        _monitor = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(endpoint.BootstrapConnectionString().ConnectionString)
        {
            ApplicationName = ApplicationName,
            MaxPoolSize = 1,
        }.ConnectionString);
    }

    /// <summary>
    /// The connections of process <paramref name="pid"/>, by where they point: the catalog, the shared database, dedicated
    /// databases, anything else. A backend is the process's when its client port is the local port of one of the
    /// process's own sockets (<c>/proc/PID/fd</c> and <c>/proc/net/tcp</c>); when those cannot be read, every client
    /// connection but this probe's counts.
    /// </summary>
    public async Task<BenchFleetConnections> ConnectionsAsync(int pid, CancellationToken cancellationToken)
    {
        var ports = BenchFleetSockets.LocalPorts(pid);
        await using var cmd = _monitor.CreateCommand("""
            SELECT datname, count(*) FROM pg_stat_activity
            WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND application_name <> $1
              AND ($2::int[] IS NULL OR client_port = ANY($2))
            GROUP BY datname
            """);
        cmd.Parameters.Add(new() { Value = ApplicationName });
        cmd.Parameters.Add(new() { Value = ports is null ? DBNull.Value : ports.ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Integer });
        int catalog = 0, shared = 0, dedicated = 0, other = 0;
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var database = reader.IsDBNull(0) ? string.Empty : reader.GetString(0);
            var count = (int)reader.GetInt64(1);
            if (database == _names.Catalog)
            {
                catalog += count;
            }
            else if (database == _names.Shared)
            {
                shared += count;
            }
            else if (database.StartsWith(_names.Prefix + "_t_", StringComparison.Ordinal))
            {
                dedicated += count;
            }
            else
            {
                other += count;
            }
        }

        return new BenchFleetConnections(catalog, shared, dedicated, other) { ByClientPort = ports is not null };
    }

    /// <summary>Bytes on disk of each of <paramref name="databases"/>, summed (<c>pg_database_size</c>).</summary>
    public async Task<long> SizeAsync(IReadOnlyCollection<string> databases, CancellationToken cancellationToken)
    {
        await using var cmd = _monitor.CreateCommand("SELECT coalesce(sum(pg_database_size(d)), 0)::bigint FROM unnest($1::text[]) d");
        cmd.Parameters.Add(new() { Value = databases.ToArray() });
        return (long)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary><c>max_connections</c> of the server.</summary>
    public async Task<int> MaxConnectionsAsync(CancellationToken cancellationToken)
    {
        await using var cmd = _monitor.CreateCommand("SELECT setting::int FROM pg_settings WHERE name = 'max_connections'");
        return (int)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    public ValueTask DisposeAsync() => _monitor.DisposeAsync();
}

/// <summary>Client connections by where they point.</summary>
internal sealed record BenchFleetConnections(int Catalog, int Shared, int Dedicated, int Other)
{
    /// <summary>True when the connections were matched to the process by client port; false when every one was counted.</summary>
    public bool ByClientPort { get; init; }

    /// <summary>Connections to databases that hold tenant data (shared and dedicated).</summary>
    public int TenantData => Shared + Dedicated;

    public int Total => Catalog + Shared + Dedicated + Other;

    public static BenchFleetConnections Max(BenchFleetConnections a, BenchFleetConnections b) =>
        new(Math.Max(a.Catalog, b.Catalog), Math.Max(a.Shared, b.Shared), Math.Max(a.Dedicated, b.Dedicated), Math.Max(a.Other, b.Other)) { ByClientPort = b.ByClientPort };

    public string Describe() => $"{Total} ({Shared} shared database, {Dedicated} dedicated databases, {Catalog} catalog, {Other} other)";
}
