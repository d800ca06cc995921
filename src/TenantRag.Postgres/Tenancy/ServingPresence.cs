using System.Text.Json;
using Npgsql;

namespace TenantRag.Postgres.Tenancy;

/// <summary>
/// A serving process's row in <c>tenantrag.serving_processes</c> (<c>Catalog/009_serving_processes.sql</c>): what it
/// holds per tenant, written as the serving role, so <see cref="TenantHoldings"/> can tell other processes. The row
/// counts until its expiry, so a killed process stops counting by itself.
/// </summary>
public sealed class ServingPresence
{
    private readonly TenantRagDatabase _database;

    /// <summary>Creates the presence of this process in <paramref name="database"/>'s catalog (nothing is written yet).</summary>
    public ServingPresence(TenantRagDatabase database)
    {
        ArgumentNullException.ThrowIfNull(database);
        _database = database;
    }

    /// <summary>This process's row id: random, so a restarted process never counts twice.</summary>
    public Guid Id { get; } = Guid.NewGuid();

    /// <summary>
    /// Writes (or rewrites) this process's row: <paramref name="holdings"/> per tenant id (tenants holding nothing left
    /// out), trusted for <paramref name="validFor"/> from now.
    /// </summary>
    public async Task ReportAsync(IReadOnlyDictionary<string, TenantHolding> holdings, TimeSpan validFor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(holdings);
        var json = JsonSerializer.Serialize(holdings.Where(h => h.Value.CacheBytes > 0 || h.Value.Connections > 0)
            .ToDictionary(h => h.Key, h => new { cacheBytes = Math.Max(0, h.Value.CacheBytes), connections = Math.Max(0, h.Value.Connections) }));
        using var lease = CatalogLease();
        // The parameters again rather than excluded.*: reading excluded columns needs SELECT on them, which the serving role lacks.
        await using var cmd = lease.DataSource.CreateCommand("""
            INSERT INTO tenantrag.serving_processes AS p (id, host, pid, expires_at, holdings) VALUES ($1, $2, $3, now() + $4, $5::jsonb)
            ON CONFLICT (id) DO UPDATE SET seen_at = now(), expires_at = now() + $4, holdings = $5::jsonb
            """);
        cmd.Parameters.Add(new() { Value = Id });
        cmd.Parameters.Add(new() { Value = HostName() });
        cmd.Parameters.Add(new() { Value = Environment.ProcessId });
        cmd.Parameters.Add(new() { Value = validFor });
        cmd.Parameters.Add(new() { Value = json });
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes the rows of processes that stopped without a word (expired for an hour or more).</summary>
    public async Task ForgetLongGoneAsync(CancellationToken cancellationToken = default)
    {
        using var lease = CatalogLease();
        await using var cmd = lease.DataSource.CreateCommand("DELETE FROM tenantrag.serving_processes WHERE expires_at < now() - interval '1 hour'");
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes this process's row: it holds nothing any more (a clean stop).</summary>
    public async Task LeaveAsync(CancellationToken cancellationToken = default)
    {
        using var lease = CatalogLease();
        await using var cmd = lease.DataSource.CreateCommand("DELETE FROM tenantrag.serving_processes WHERE id = $1");
        cmd.Parameters.Add(new() { Value = Id });
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private DataSourceRegistry.Lease CatalogLease() => _database.Registry.App(_database.Installation, _database.Installation.Names.Catalog, 4);

    // Up to the column's 255 characters; a machine without a name still says something.
    private static string HostName() => Environment.MachineName is { Length: > 0 } name ? name[..Math.Min(name.Length, 255)] : "unknown";
}
