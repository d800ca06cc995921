using Npgsql;
using TenantRag.Tenancy;

namespace TenantRag.Postgres.Tenancy;

/// <summary>
/// What each tenant holds now across the fleet's serving processes, read as the admin role for operator tools
/// (<c>tenant show</c>, <c>tenant list</c>): cache bytes from the live rows of <c>tenantrag.serving_processes</c> (a row
/// past its expiry, a killed process's, is left out), and connections: for a dedicated tenant every client connection
/// to its database as PostgreSQL counts them (<c>pg_stat_activity</c>, whatever process opened them), for a shared tenant
/// the sessions serving processes have open for it on the shared pool (PostgreSQL cannot tell a shared connection's
/// tenant). A dedicated tenant on a server that cannot be asked falls back to what the processes report.
/// </summary>
public static class TenantHoldings
{
    /// <summary>What each of <paramref name="tenants"/> holds, by tenant id; a tenant holding nothing maps to zeros.</summary>
    public static async Task<IReadOnlyDictionary<string, TenantHolding>> ReadAsync(TenantRagDatabase database, IReadOnlyCollection<TenantInfo> tenants,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(tenants);
        var reported = await ReportedAsync(database, cancellationToken).ConfigureAwait(false);
        var holdings = tenants.ToDictionary(t => t.Id, t => reported.GetValueOrDefault(t.Id), StringComparer.Ordinal);
        foreach (var onServer in tenants.Where(t => t.Mode == TenancyMode.Dedicated).GroupBy(t => t.Server, StringComparer.Ordinal))
        {
            if (await DatabaseConnectionsAsync(database, onServer.Key, [.. onServer.Select(t => t.Database)], cancellationToken).ConfigureAwait(false) is not { } counted)
            {
                continue;
            }

            foreach (var tenant in onServer)
            {
                holdings[tenant.Id] = holdings[tenant.Id] with { Connections = counted.GetValueOrDefault(tenant.Database) };
            }
        }

        return holdings;
    }

    // The live rows' holdings summed per tenant id. Written by the serving role: a value that is not a whole number
    // counts as 0 rather than failing the read.
    private static async Task<Dictionary<string, TenantHolding>> ReportedAsync(TenantRagDatabase database, CancellationToken cancellationToken)
    {
        using var lease = database.Registry.Admin(database.Installation, database.Installation.Names.Catalog);
        await using var cmd = lease.DataSource.CreateCommand("""
            SELECT h.key,
                   sum(CASE WHEN h.value->>'cacheBytes' ~ '^[0-9]{1,18}$' THEN (h.value->>'cacheBytes')::bigint ELSE 0 END)::bigint,
                   sum(CASE WHEN h.value->>'connections' ~ '^[0-9]{1,9}$' THEN (h.value->>'connections')::bigint ELSE 0 END)::bigint
            FROM tenantrag.serving_processes p CROSS JOIN LATERAL jsonb_each(p.holdings) h
            WHERE p.expires_at > now() AND jsonb_typeof(h.value) = 'object'
            GROUP BY h.key
            """);
        var reported = new Dictionary<string, TenantHolding>(StringComparer.Ordinal);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            reported[reader.GetString(0)] = new TenantHolding(reader.GetInt64(1), (int)Math.Min(reader.GetInt64(2), int.MaxValue));
        }

        return reported;
    }

    // Client connections per database on one server, or null when that server cannot be asked now. A background worker
    // (autovacuum) has no user; backend_type would say so too, but PostgreSQL hides it from the admin in rows of other roles.
    private static async Task<Dictionary<string, int>?> DatabaseConnectionsAsync(TenantRagDatabase database, string serverId, string[] databases,
        CancellationToken cancellationToken)
    {
        try
        {
            var server = await database.Sessions.Servers.GetAsync(serverId, cancellationToken).ConfigureAwait(false);
            using var lease = database.Registry.Admin(server, server.MaintenanceDatabase);
            await using var cmd = lease.DataSource.CreateCommand("""
                SELECT datname, count(*)::int FROM pg_stat_activity
                WHERE datname = ANY($1) AND usesysid IS NOT NULL GROUP BY datname
                """);
            cmd.Parameters.Add(new() { Value = databases });
            var counted = new Dictionary<string, int>(StringComparer.Ordinal);
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                counted[reader.GetString(0)] = reader.GetInt32(1);
            }

            return counted;
        }
        catch (Exception ex) when (ex is NpgsqlException or TenantRagException or TimeoutException && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }
}
