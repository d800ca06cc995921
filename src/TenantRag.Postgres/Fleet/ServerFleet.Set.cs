using Npgsql;
using TenantRag.Postgres.Tenancy;

namespace TenantRag.Postgres.Fleet;

/// <summary><c>tenantrag server set</c>: a server's capacity and pooler, after it was added.</summary>
public sealed partial class ServerFleet
{
    /// <summary>
    /// Changes a server's capacity (the primary's too: with none, placement always finds room there) and, for any other
    /// server, its pooler, which is checked first (<see cref="PoolerCheck"/>). A capacity below the tenants the server
    /// holds is allowed: placement then passes it by until it has room. Placements lock the server's row, so they see
    /// the new capacity as soon as this commits; serving processes take the new pooler within
    /// <see cref="Installation.TenancyOptions.CatalogCacheTtl"/>.
    /// </summary>
    /// <exception cref="UsageException">Nothing to change, a capacity below 1, or a pooler for the primary.</exception>
    /// <exception cref="TenantRagException">No such server (or removed), or the pooler fails its check; nothing changed.</exception>
    public async Task<ServerReport> SetAsync(string name, ServerChange change, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        ServerName.Parse(name, "server");
        if (!change.ChangesCapacity && !change.ChangesPooler)
        {
            throw new UsageException("nothing to change: give --capacity <tenants>|none, --pooler-url <url>|none, or both");
        }

        if (change.ChangesCapacity && change.Capacity is <= 0)
        {
            throw new UsageException($"--capacity must be a positive number of tenants, or none for no limit, not {change.Capacity}");
        }

        if (change.ChangesPooler && name == ServerName.Primary)
        {
            throw new UsageException("'primary' is reached as the installation is configured: its pooler is the setting Database:PoolerUrl (or 'tenantrag db start --pooler'), not --pooler-url");
        }

        var server = (await ReadAsync(name, cancellationToken).ConfigureAwait(false)).SingleOrDefault(s => s.Status != "removed")
            ?? throw new TenantRagException($"there is no server '{name}' in the fleet: 'tenantrag server list' shows them; nothing changed");
        if (change is { ChangesPooler: true, Pooler: { } pooler })
        {
            await PoolerCheck.CheckAsync(name, Primary.OnServer(name, server.Endpoint(password: string.Empty), pooler), pooler, cancellationToken).ConfigureAwait(false);
        }

        // Every serving process forgets the server's cached row (a new pooler applies at once), in the same transaction.
        using (var admin = CatalogAdmin())
        await using (var connection = await admin.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false))
        await using (var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
        await using (var cmd = new NpgsqlCommand("""
            UPDATE tenantrag.servers
            SET capacity = CASE WHEN $2 THEN $3 ELSE capacity END,
                pooler_host = CASE WHEN $4 THEN $5 ELSE pooler_host END,
                pooler_port = CASE WHEN $4 THEN $6 ELSE pooler_port END
            WHERE id = $1 AND status <> 'removed'
            """, connection, tx))
        {
            cmd.Parameters.Add(new() { Value = name });
            cmd.Parameters.Add(new() { Value = change.ChangesCapacity });
            cmd.Parameters.Add(new() { Value = change.Capacity is { } capacity ? capacity : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
            cmd.Parameters.Add(new() { Value = change.ChangesPooler });
            cmd.Parameters.Add(new() { Value = change.Pooler is { } host ? host.Host : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            cmd.Parameters.Add(new() { Value = change.Pooler is { } port ? port.Port : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
            if (await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
            {
                throw new TenantRagException($"server '{name}' was removed by another process meanwhile: nothing changed");
            }

            await CatalogNotifications.NotifyServerAsync(connection, tx, name, cancellationToken).ConfigureAwait(false);
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        return (await ListAsync(cancellationToken).ConfigureAwait(false)).Single(r => r.Server.Name == name);
    }
}
