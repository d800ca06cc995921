using Npgsql;
using TenantRag.Postgres.Moves;
using TenantRag.Postgres.Tenancy;
using TenantRag.Tenancy;

namespace TenantRag.Postgres.Usage;

/// <summary>
/// Every tenant's metered usage, for the operator: reports across the fleet, and the roll-up of past days' events into
/// one row per tenant and day. Runs as the admin role of each tenant-data database; never give it to a request of a
/// tenant (<c>GET /admin/v1/usage</c> requires the admin scope).
/// </summary>
public sealed class UsageLedger(TenantRagDatabase database)
{
    // Past days' events of the listed tenants ($1) that are neither moving ($2) nor fenced or gone from this database,
    // deleted and added to their day in one statement: the day's row and the events are never both seen (or neither),
    // and a second roll-up at the same time finds the events it waited for deleted, so adds nothing twice.
    private const string RollUpSql = """
        WITH rolled AS (
            DELETE FROM public.usage_events e
            USING tenantrag.tenant_registry r
            WHERE r.id = e.tenant_id AND r.fenced_at IS NULL AND r.left_at IS NULL
              AND e.tenant_id = ANY($1) AND NOT (e.tenant_id = ANY($2))
              AND e.day < (now() AT TIME ZONE 'UTC')::date
            RETURNING e.tenant_id, e.day, e.documents, e.chunks, e.bytes, e.queries, e.embedding_tokens, e.generated_tokens)
        INSERT INTO public.usage_daily AS d (tenant_id, day, documents, chunks, bytes, queries, embedding_tokens, generated_tokens)
        SELECT tenant_id, day, sum(documents), sum(chunks), sum(bytes), sum(queries), sum(embedding_tokens), sum(generated_tokens)
        FROM rolled GROUP BY tenant_id, day
        ON CONFLICT (tenant_id, day) DO UPDATE SET
            documents = d.documents + excluded.documents, chunks = d.chunks + excluded.chunks, bytes = d.bytes + excluded.bytes,
            queries = d.queries + excluded.queries, embedding_tokens = d.embedding_tokens + excluded.embedding_tokens,
            generated_tokens = d.generated_tokens + excluded.generated_tokens
        """;

    /// <summary>
    /// The metered days of <paramref name="tenant"/> (null: every active tenant) from <paramref name="since"/> (null:
    /// every day), by tenant slug. A tenant with nothing metered has no days.
    /// </summary>
    /// <exception cref="TenantNotFoundException">No active tenant has that slug.</exception>
    public async Task<IReadOnlyList<TenantUsageReport>> ReportAsync(TenantSlug? tenant, DateOnly? since, CancellationToken cancellationToken = default)
    {
        var reports = new List<TenantUsageReport>();
        foreach (var (place, tenants) in await PlacesAsync(tenant, cancellationToken).ConfigureAwait(false))
        {
            using var admin = await AdminAsync(tenants[0], cancellationToken).ConfigureAwait(false);
            await using var connection = await admin.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            var days = await UsageDays.ReadAsync(connection, null, [.. tenants.Select(t => t.Id)], since, cancellationToken).ConfigureAwait(false);
            reports.AddRange(tenants.Select(t => new TenantUsageReport { Tenant = t.Slug, Mode = t.Mode, Server = place.Server, Days = days.GetValueOrDefault(t.Id) ?? [] }));
        }

        return [.. reports.OrderBy(r => r.Tenant.Value, StringComparer.Ordinal)];
    }

    /// <summary>
    /// Rolls up the past days' events of <paramref name="tenant"/> (null: every active tenant) into their days, in every
    /// database they live in; returns how many tenant days were written. Tenants being moved are skipped (their events are
    /// carried between databases by id until the move is done), as are databases where a move fences a tenant just
    /// now: the next roll-up takes them. Idempotent, and safe to run in several processes at once.
    /// </summary>
    /// <exception cref="TenantNotFoundException">No active tenant has that slug.</exception>
    public Task<long> RollUpAsync(TenantSlug? tenant = null, CancellationToken cancellationToken = default) =>
        RollUpAsync(tenant, null, cancellationToken);

    /// <summary>
    /// As <see cref="RollUpAsync(TenantSlug?, CancellationToken)"/>, but only for tenants the catalog saw active
    /// (<see cref="TenantInfo.LastActiveAt"/>) at or after <paramref name="activeSince"/> (null: every tenant), so a
    /// periodic roll-up does not open a connection to the database of every tenant that has been idle for days: a tenant
    /// writes usage events only while it is active. A tenant never seen active is skipped then; an occasional roll-up
    /// of every tenant takes whatever such a filter passed over.
    /// </summary>
    /// <exception cref="TenantNotFoundException">No active tenant has that slug.</exception>
    public async Task<long> RollUpAsync(TenantSlug? tenant, DateTimeOffset? activeSince, CancellationToken cancellationToken = default)
    {
        var moving = await MovingAsync(cancellationToken).ConfigureAwait(false);
        long rolled = 0;
        var places = await PlacesAsync(tenant, cancellationToken).ConfigureAwait(false);
        if (activeSince is { } since)
        {
            places = [.. places.Select(p => (p.Place, Tenants: p.Tenants.Where(t => t.LastActiveAt >= since).ToList())).Where(p => p.Tenants.Count > 0)];
        }

        foreach (var (_, tenants) in places)
        {
            using var admin = await AdminAsync(tenants[0], cancellationToken).ConfigureAwait(false);
            await using var cmd = admin.DataSource.CreateCommand(RollUpSql);
            cmd.Parameters.Add(new() { Value = tenants.Select(t => t.Id).ToArray() });
            cmd.Parameters.Add(new() { Value = moving });
            try
            {
                rolled += await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (PostgresException ex) when (TenantRegistry.IsMoving(ex) || TenantRegistry.IsFenced(ex))
            {
                // A tenant of this database was fenced (or removed) since the catalog was read: nothing was rolled up here.
            }
        }

        return rolled;
    }

    // The active tenants asked for, grouped by the database they live in (one statement per database).
    private async Task<List<(TenantPlaceKey Place, List<TenantInfo> Tenants)>> PlacesAsync(TenantSlug? tenant, CancellationToken cancellationToken)
    {
        IReadOnlyList<TenantInfo> tenants = tenant is { } slug
            ? [await database.Catalog.FindAsync(slug, cancellationToken).ConfigureAwait(false) is { Status: "active" } found ? found : throw new TenantNotFoundException(slug)]
            : [.. (await database.Catalog.ListAsync(cancellationToken).ConfigureAwait(false)).Where(t => t.Status == "active")];
        return [.. tenants.GroupBy(t => new TenantPlaceKey(t.Server, t.Database)).Select(g => (g.Key, g.ToList()))];
    }

    private async Task<DataSourceRegistry.Lease> AdminAsync(TenantInfo tenant, CancellationToken cancellationToken) =>
        database.Registry.Admin(await database.Sessions.Servers.ForAsync(tenant, cancellationToken).ConfigureAwait(false), tenant.Database);

    private async Task<string[]> MovingAsync(CancellationToken cancellationToken)
    {
        var installation = database.Installation;
        using var catalog = database.Registry.Admin(installation, installation.Names.Catalog);
        await using var cmd = catalog.DataSource.CreateCommand($"SELECT tenant_id FROM tenantrag.tenant_moves WHERE {MoveSteps.InProgressSql}");
        var ids = new List<string>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            ids.Add(reader.GetString(0));
        }

        return [.. ids];
    }

    private readonly record struct TenantPlaceKey(string Server, string Database);
}
