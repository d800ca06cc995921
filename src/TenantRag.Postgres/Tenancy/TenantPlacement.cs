using Npgsql;
using TenantRag.Postgres.Fleet;

namespace TenantRag.Postgres.Tenancy;

/// <summary>
/// Which server of the fleet a new tenant goes to (<c>tenant create --server</c>, or the choice here): an active
/// server with room, the one with the most free capacity (its capacity minus the tenants the catalog maps to it, in
/// any state); a server without a capacity counts as unlimited, so it comes first. Ties go to the primary, then to
/// the servers by name. The choice is checked again, under a lock on the server's catalog row, in the transaction
/// that records the tenant (<see cref="ReserveAsync"/>), so a capacity holds under concurrent creations.
/// </summary>
public sealed class TenantPlacement
{
    private readonly Installation.Installation _primary;
    private readonly DataSourceRegistry _registry;

    /// <summary>Creates the placement of <paramref name="primary"/>'s fleet.</summary>
    public TenantPlacement(Installation.Installation primary, DataSourceRegistry registry)
    {
        _primary = primary;
        _registry = registry;
    }

    /// <summary>The server a new tenant goes to: <paramref name="requested"/> when given (it must be active and have room), else the choice above.</summary>
    /// <exception cref="UsageException"><paramref name="requested"/> is not a valid server name.</exception>
    /// <exception cref="TenantRagException">The server is not active or is full.</exception>
    /// <exception cref="FleetFullException">Without <paramref name="requested"/>: every active server is full.</exception>
    public async Task<string> ChooseAsync(string? requested, CancellationToken cancellationToken = default)
    {
        if (requested is not null)
        {
            ServerName.Parse(requested, "server");
        }

        using var catalog = _registry.Admin(_primary, _primary.Names.Catalog);
        await using var cmd = catalog.DataSource.CreateCommand("""
            SELECT s.id, s.status, s.capacity, (SELECT count(*) FROM tenantrag.tenants t WHERE t.server_id = s.id)::int AS tenants
            FROM tenantrag.servers s
            WHERE ($1::text IS NULL AND s.status = 'active') OR s.id = $1
            ORDER BY s.capacity IS NOT NULL, s.capacity - (SELECT count(*) FROM tenantrag.tenants t WHERE t.server_id = s.id) DESC,
                     s.id <> 'primary', s.id
            """);
        cmd.Parameters.Add(new() { Value = requested is null ? DBNull.Value : requested });
        var servers = new List<(string Id, string Status, int? Capacity, int Tenants)>();
        await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                servers.Add((reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetInt32(2), reader.GetInt32(3)));
            }
        }

        if (requested is not null)
        {
            var (id, status, capacity, tenants) = servers.SingleOrDefault();
            Check(requested, id is null ? null : status, capacity, tenants);
            return requested;
        }

        return servers.FirstOrDefault(s => s.Capacity is not { } c || s.Tenants < c).Id
            ?? throw new FleetFullException("every active server is full (its capacity reached): add a server ('tenantrag server add'), raise a capacity ('tenantrag server set <name> --capacity'), or choose one with --server; nothing changed");
    }

    /// <summary>
    /// In the transaction that records a tenant on <paramref name="serverId"/>: locks the server's catalog row (until
    /// the transaction ends) and checks it is still active and has room.
    /// </summary>
    /// <exception cref="TenantRagException">It no longer is, or no longer has.</exception>
    internal static async Task ReserveAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string serverId, CancellationToken cancellationToken)
    {
        string? status = null;
        int? capacity = null;
        await using (var lockRow = new NpgsqlCommand("SELECT status, capacity FROM tenantrag.servers WHERE id = $1 FOR UPDATE", connection, transaction))
        {
            lockRow.Parameters.Add(new() { Value = serverId });
            await using var reader = await lockRow.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                (status, capacity) = (reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetInt32(1));
            }
        }

        // A statement of its own: under READ COMMITTED it sees the tenants of the placements that held the lock before.
        await using var count = new NpgsqlCommand("SELECT count(*)::int FROM tenantrag.tenants WHERE server_id = $1", connection, transaction);
        count.Parameters.Add(new() { Value = serverId });
        Check(serverId, status, capacity, (int)(await count.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!);
    }

    private static void Check(string serverId, string? status, int? capacity, int tenants)
    {
        if (status != "active")
        {
            throw new TenantRagException(status is null or "removed"
                ? $"there is no server '{serverId}' in the fleet: 'tenantrag server list' shows them; nothing changed"
                : $"server '{serverId}' is {status}: it takes no new tenants; nothing changed");
        }

        if (capacity is { } c && tenants >= c)
        {
            throw new TenantRagException($"server '{serverId}' is full ({tenants} tenants, capacity {c}): choose another with --server, or leave the choice to placement; nothing changed");
        }
    }
}
