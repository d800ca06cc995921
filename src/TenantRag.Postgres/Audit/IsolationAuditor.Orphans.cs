using Npgsql;
using TenantRag.Tenancy;
using static TenantRag.Postgres.Audit.AuditText;

namespace TenantRag.Postgres.Audit;

public sealed partial class IsolationAuditor
{
    // How many tenant ids a finding names before it says "and N more".
    private const int IdsShown = 5;

    /// <summary>
    /// What deleted tenants left behind in one tenant-data database on <paramref name="server"/>: rows of documents,
    /// chunks, usage counters and data versions (what the in-process caches are keyed by) whose tenant id belongs to no
    /// tenant the catalog places there, registry entries of no such tenant, and live tenants missing from the registry
    /// (they could not write). Every server has a shared database of the same name: a tenant lives in the one of its server.
    /// </summary>
    private static async Task<IReadOnlyList<AuditFinding>> LeftoverRulesAsync(NpgsqlConnection connection, string db, string server, IReadOnlyList<TenantInfo> tenants,
        CancellationToken cancellationToken)
    {
        var live = tenants.Where(t => t.Database == db && t.Server == server).ToList();
        var liveIds = live.Select(t => t.Id).ToArray();
        var findings = new List<AuditFinding>();

        var registered = new Dictionary<string, string>(StringComparer.Ordinal);
        await using (var cmd = new NpgsqlCommand("SELECT id, slug FROM tenantrag.tenant_registry ORDER BY id", connection))
        await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                registered[reader.GetString(0)] = reader.GetString(1);
            }
        }

        foreach (var tenant in live.Where(t => t.Status == "active" && !registered.ContainsKey(t.Id)))
        {
            findings.Add(Finding(AuditRules.RegistryMissing, $"{db}.tenantrag.tenant_registry {tenant.Id}",
                $"tenant '{tenant.Slug}' lives in {db} but is not in its registry: every write of the tenant is refused",
                $"INSERT INTO tenantrag.tenant_registry (id, slug) VALUES ({Literal(tenant.Id)}, {Literal(tenant.Slug.Value)});"));
        }

        foreach (var table in await TablesWithTenantIdAsync(connection, cancellationToken).ConfigureAwait(false))
        {
            var orphans = new List<(string Id, long Rows)>();
            await using (var cmd = new NpgsqlCommand($"SELECT tenant_id, count(*) FROM public.{Quote(table)} WHERE tenant_id <> ALL($1) GROUP BY 1 ORDER BY 2 DESC, 1", connection))
            {
                cmd.Parameters.Add(new() { Value = liveIds });
                await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    orphans.Add((reader.GetString(0), reader.GetInt64(1)));
                }
            }

            if (orphans.Count == 0)
            {
                continue;
            }

            var shown = string.Join(", ", orphans.Take(IdsShown).Select(o => $"{o.Id} ({o.Rows})"));
            var more = orphans.Count > IdsShown ? $" and {orphans.Count - IdsShown} more" : string.Empty;
            var what = table switch
            {
                "usage_events" or "usage_daily" => "usage counters",
                "tenant_data_versions" => "data versions (the keys of the search caches)",
                "index_snapshots" => "retrieval index snapshots",
                _ => "rows",
            };
            findings.Add(Finding(AuditRules.OrphanedRows, $"{db}.public.{table}",
                $"{orphans.Sum(o => o.Rows)} {what} in {db}.public.{table} belong to no live tenant of {db}: tenant ids {shown}{more}; left by an interrupted delete or a write that escaped one",
                $"DELETE FROM public.{Quote(table)} WHERE tenant_id IN ({string.Join(", ", orphans.Select(o => Literal(o.Id)))});"));
        }

        // Last, so that running the fixes in order works: an entry can go once no row carries its id.
        foreach (var (id, slug) in registered.Where(r => !liveIds.Contains(r.Key, StringComparer.Ordinal)))
        {
            findings.Add(Finding(AuditRules.RegistryOrphan, $"{db}.tenantrag.tenant_registry {id}",
                $"tenant id {id} (once '{slug}') is registered in {db}, but no tenant of the catalog lives there with that id: rows carrying it pass the registry's foreign keys",
                $"DELETE FROM tenantrag.tenant_registry WHERE id = {Literal(id)};"));
        }

        return findings;
    }

    // Catalog tenants whose delete stopped half way: their rows may still be there.
    private static IEnumerable<AuditFinding> UnfinishedDeletes(IReadOnlyList<TenantInfo> tenants) =>
        tenants.Where(t => t.Status == "deleting").Select(t => Finding(AuditRules.DeletionUnfinished, $"tenant {t.Slug}",
            $"tenant '{t.Slug}' ({t.Id}) is marked deleting, but its delete did not finish: its rows (or its database) may still exist",
            $"-- run: tenantrag tenant delete {t.Slug}"));

    private static async Task<List<string>> TablesWithTenantIdAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand("""
            SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
            WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1
            """, connection);
        var tables = new List<string>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            tables.Add(reader.GetString(0));
        }

        return tables;
    }
}
