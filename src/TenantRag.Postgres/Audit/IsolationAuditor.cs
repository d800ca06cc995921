using Npgsql;
using TenantRag.Postgres.Installation;

namespace TenantRag.Postgres.Audit;

/// <summary>
/// The isolation linter of DESIGN §7, over the catalog and every tenant database (the template, the shared one and
/// every dedicated one): row-level security enabled and forced, a policy per command that references the tenant
/// and is not always true, serving roles that own nothing and bypass nothing, SECURITY DEFINER functions pinned and
/// not executable by <c>authenticated</c>, views with security_invoker, policy columns indexed, and no database
/// that PUBLIC may connect to; and what deleted tenants left behind (rows, usage counters and data versions of no live
/// tenant, stale registry entries, unfinished deletes). Reads as the admin role; changes nothing.
/// </summary>
public sealed partial class IsolationAuditor(TenantRagDatabase database)
{
    private static readonly string[] Commands = ["SELECT", "INSERT", "UPDATE", "DELETE"];
    private static readonly string[] PolicyColumns = ["tenant_id", "owner_id", "visibility"];

    private Installation.Installation Installation => database.Installation;

    private InstallationNames Names => Installation.Names;

    /// <summary>Audits the whole installation; an empty list means clean.</summary>
    public async Task<IReadOnlyList<AuditFinding>> AuditAsync(CancellationToken cancellationToken = default)
    {
        var findings = new List<AuditFinding>();
        var tenants = await database.Catalog.ListAsync(cancellationToken).ConfigureAwait(false);
        var tenantDatabases = new List<string> { Names.Template, Names.Shared };
        tenantDatabases.AddRange(tenants
            .Where(t => t.Mode == TenantRag.Tenancy.TenancyMode.Dedicated && t.Status == "active")
            .Select(t => t.Database));

        findings.AddRange(await AuditRolesAsync(cancellationToken).ConfigureAwait(false));
        findings.AddRange(await AuditConnectAsync([Names.Catalog, .. tenantDatabases], cancellationToken).ConfigureAwait(false));
        findings.AddRange(UnfinishedDeletes(tenants));
        foreach (var name in tenantDatabases)
        {
            findings.AddRange(await AuditDatabaseAsync(name, cancellationToken).ConfigureAwait(false));
            findings.AddRange(await AuditLeftoversAsync(name, tenants, cancellationToken).ConfigureAwait(false));
        }

        return findings;
    }

    /// <summary>Rows, counters, data versions and registry entries in <paramref name="name"/> that belong to no live tenant.</summary>
    private async Task<IReadOnlyList<AuditFinding>> AuditLeftoversAsync(string name, IReadOnlyList<TenantRag.Tenancy.TenantInfo> tenants, CancellationToken cancellationToken)
    {
        await using var dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(Installation.AdminConnectionString(name)) { Pooling = false }.ConnectionString);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await LeftoverRulesAsync(connection, name, tenants, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The table, policy, function, view and index rules in one tenant-data database.</summary>
    public async Task<IReadOnlyList<AuditFinding>> AuditDatabaseAsync(string name, CancellationToken cancellationToken = default)
    {
        await using var dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(Installation.AdminConnectionString(name)) { Pooling = false }.ConnectionString);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var findings = new List<AuditFinding>();
        findings.AddRange(await TableRulesAsync(connection, name, cancellationToken).ConfigureAwait(false));
        findings.AddRange(await FunctionRulesAsync(connection, name, cancellationToken).ConfigureAwait(false));
        findings.AddRange(await ViewRulesAsync(connection, name, cancellationToken).ConfigureAwait(false));
        return findings;
    }

    // Roles that serve tenant requests must never be superuser or BYPASSRLS.
    private async Task<IReadOnlyList<AuditFinding>> AuditRolesAsync(CancellationToken cancellationToken)
    {
        var findings = new List<AuditFinding>();
        await using var cmd = CatalogCommand("""
            SELECT rolname, rolsuper, rolbypassrls FROM pg_roles
            WHERE (rolname = ANY($1) OR rolname LIKE $2) AND (rolsuper OR rolbypassrls)
            ORDER BY rolname
            """, out var dataSource);
        await using (dataSource)
        {
            cmd.Parameters.Add(new() { Value = new[] { Names.AppRole, InstallationNames.AuthenticatedRole, InstallationNames.AnonymousRole } });
            cmd.Parameters.Add(new() { Value = Names.Prefix.Replace("_", "\\_", StringComparison.Ordinal) + "\\_t\\_%" });
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var role = reader.GetString(0);
                var what = reader.GetBoolean(1) ? "SUPERUSER" : "BYPASSRLS";
                findings.Add(new AuditFinding
                {
                    Rule = AuditRules.ServingRoleBypassesRls,
                    Object = $"role {role}",
                    Message = $"role {role} serves tenant requests but is {what}: row-level security does not apply to it, so one bug exposes every tenant",
                    Fix = $"ALTER ROLE {Quote(role)} NOSUPERUSER NOBYPASSRLS;",
                });
            }
        }

        return findings;
    }

    private async Task<IReadOnlyList<AuditFinding>> AuditConnectAsync(IReadOnlyList<string> databases, CancellationToken cancellationToken)
    {
        var findings = new List<AuditFinding>();
        await using var cmd = CatalogCommand("SELECT datname FROM pg_database WHERE datname = ANY($1) AND has_database_privilege('public', datname, 'CONNECT') ORDER BY datname", out var dataSource);
        await using (dataSource)
        {
            cmd.Parameters.Add(new() { Value = databases.ToArray() });
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var name = reader.GetString(0);
                findings.Add(new AuditFinding
                {
                    Rule = AuditRules.PublicCanConnect,
                    Object = $"database {name}",
                    Message = $"PUBLIC may connect to {name}: every login role on the server (other tenants' roles included) can open it",
                    Fix = $"REVOKE CONNECT ON DATABASE {Quote(name)} FROM PUBLIC;",
                });
            }
        }

        return findings;
    }

    private NpgsqlCommand CatalogCommand(string sql, out NpgsqlDataSource dataSource)
    {
        dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(Installation.AdminConnectionString(Names.Catalog)) { Pooling = false }.ConnectionString);
        return dataSource.CreateCommand(sql);
    }

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
