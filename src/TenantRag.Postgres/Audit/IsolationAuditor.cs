using Npgsql;
using TenantRag.Postgres.Installation;

namespace TenantRag.Postgres.Audit;

/// <summary>
/// The isolation linter of docs/DESIGN.md §8, over the catalog and every tenant database (the template, the shared one and
/// every dedicated one). It reasons about effective access rather than known patterns: the principals that serve
/// tenants (<c>authenticated</c>, <c>anonymous</c>, the serving role, every dedicated tenant's login role) and every
/// role they can become must reach no superuser, BYPASSRLS, CREATEROLE, admin or predefined role; and every relation,
/// in every schema, that one of them can read or write must be filtered by the tenant policy (row-level security
/// enabled and forced, an owner they cannot become, and for each command they may run, policies that AND in
/// <c>tenant_id = (SELECT auth.tenant_id())</c>), along with views, SECURITY DEFINER functions, sequences and the
/// privileges to connect to a database or create objects; and what deleted tenants left behind (rows, usage counters
/// and data versions of no live tenant, stale registry entries, unfinished deletes). Reads as the admin role, one
/// connection per database; changes nothing.
/// </summary>
public sealed partial class IsolationAuditor(TenantRagDatabase database)
{
    private Installation.Installation Installation => database.Installation;

    private InstallationNames Names => Installation.Names;

    /// <summary>Audits the whole installation; an empty list means clean.</summary>
    public async Task<IReadOnlyList<AuditFinding>> AuditAsync(CancellationToken cancellationToken = default)
    {
        var tenants = await database.Catalog.ListAsync(cancellationToken).ConfigureAwait(false);
        // The primary's databases only: the fleet's other servers are not audited yet (issue 14 item 2).
        var dedicated = tenants.Where(t => t.Mode == TenantRag.Tenancy.TenancyMode.Dedicated && t.Server == Installation.ServerId).Select(t => t.Database);
        var findings = new List<AuditFinding>(UnfinishedDeletes(tenants));
        RoleGraph graph = null!;
        IReadOnlyList<string> existing = [];
        findings.AddRange(await InDatabaseAsync(Names.Catalog, async connection =>
        {
            graph = await RoleGraph.LoadAsync(connection, Names, cancellationToken).ConfigureAwait(false);
            var (databaseFindings, found) = await DatabaseRulesAsync(connection, graph, [Names.Catalog, Names.Template, Names.Shared, .. dedicated], cancellationToken).ConfigureAwait(false);
            existing = found;
            return [.. RoleRules(graph), .. databaseFindings, .. await DatabaseAudit.RunAsync(connection, Names.Catalog, graph, Names, cancellationToken).ConfigureAwait(false)];
        }, cancellationToken).ConfigureAwait(false));

        foreach (var name in existing.Where(n => n != Names.Catalog))
        {
            try
            {
                findings.AddRange(await InDatabaseAsync(name, async connection =>
                    [
                        .. await DatabaseAudit.RunAsync(connection, name, graph, Names, cancellationToken).ConfigureAwait(false),
                        .. await LeftoverRulesAsync(connection, name, tenants, cancellationToken).ConfigureAwait(false),
                    ], cancellationToken).ConfigureAwait(false));
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InvalidCatalogName)
            {
                // Dropped since it was listed (a tenant being deleted): nothing left to audit.
            }
        }

        return findings;
    }

    /// <summary>The relation, policy, function, view, sequence and schema rules in one database.</summary>
    public Task<IReadOnlyList<AuditFinding>> AuditDatabaseAsync(string name, CancellationToken cancellationToken = default) =>
        InDatabaseAsync(name, async connection =>
        {
            var graph = await RoleGraph.LoadAsync(connection, Names, cancellationToken).ConfigureAwait(false);
            return await DatabaseAudit.RunAsync(connection, name, graph, Names, cancellationToken).ConfigureAwait(false);
        }, cancellationToken);

    // One unpooled admin connection. search_path = pg_catalog makes pg_get_expr qualify every other name, so a
    // policy's deparsed text says exactly which function it calls and its fix SQL runs under any search_path.
    private async Task<IReadOnlyList<AuditFinding>> InDatabaseAsync(string name, Func<NpgsqlConnection, Task<IReadOnlyList<AuditFinding>>> audit,
        CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(Installation.AdminConnectionString(name)) { Pooling = false, SearchPath = "pg_catalog" };
        await using var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await audit(connection).ConfigureAwait(false);
    }
}
