using Npgsql;
using TenantRag.Postgres.Quotas;
using TenantRag.Tenancy;

namespace TenantRag.Postgres.Tenancy;

public sealed partial class PostgresTenantCatalog
{
    /// <summary>
    /// Sets (or, with null, removes) the tenant's quotas named in <paramref name="changes"/>, leaving the others as they
    /// are, in one catalog transaction that locks the tenant's row, writes the audit log (<c>tenant.set</c>, with the
    /// quotas before and after) and notifies every serving process, which reads the row again on its next request.
    /// </summary>
    /// <returns>The tenant with its new quotas.</returns>
    /// <exception cref="TenantNotFoundException">No tenant has that slug.</exception>
    /// <exception cref="TenantRagException">The tenant is not active (being created or deleted); nothing changed.</exception>
    /// <exception cref="ArgumentException">A limit is negative or over <see cref="TenantQuotas.MaxValue"/>.</exception>
    public async Task<TenantInfo> SetQuotasAsync(TenantSlug slug, IReadOnlyDictionary<TenantQuota, long?> changes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(changes);
        if (changes.Values.Any(v => v is < 0 or > TenantQuotas.MaxValue))
        {
            throw new ArgumentException($"a quota is a whole number from 0 to {TenantQuotas.MaxValue}", nameof(changes));
        }

        using var catalog = AdminLease(Names.Catalog);
        await using var connection = await catalog.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        TenantInfo before;
        await using (var find = new NpgsqlCommand($"SELECT {CatalogReader.Columns} FROM tenantrag.tenants WHERE slug = $1 FOR UPDATE", connection, tx))
        {
            find.Parameters.Add(new() { Value = slug.Value });
            before = (await CatalogReader.ReadAllAsync(find, cancellationToken).ConfigureAwait(false)).SingleOrDefault() ?? throw new TenantNotFoundException(slug);
        }

        if (before.Status != "active")
        {
            throw new TenantRagException($"tenant '{slug}' is {before.Status}, not active: its quotas cannot be set now; nothing was changed");
        }

        var quotas = changes.Aggregate(before.Quotas, (q, change) => q.With(change.Key, change.Value));
        TenantInfo after;
        await using (var update = new NpgsqlCommand($"""
            WITH t AS (UPDATE tenantrag.tenants SET quotas = $2::jsonb WHERE id = $1 RETURNING {CatalogReader.Columns}),
            a AS (INSERT INTO tenantrag.audit_log (action, tenant, tenant_id, details)
                  SELECT 'tenant.set', slug, id, jsonb_build_object('quotas', $2::jsonb, 'before', $3::jsonb) FROM t)
            SELECT * FROM t
            """, connection, tx))
        {
            update.Parameters.Add(new() { Value = before.Id });
            update.Parameters.Add(new() { Value = QuotaJson.Write(quotas) });
            update.Parameters.Add(new() { Value = QuotaJson.Write(before.Quotas) });
            after = (await CatalogReader.ReadAllAsync(update, cancellationToken).ConfigureAwait(false)).Single();
        }

        await CatalogNotifications.NotifyAsync(connection, tx, slug, cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        _sessions.Invalidate(slug);
        return after;
    }
}
