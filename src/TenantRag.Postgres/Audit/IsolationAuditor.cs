using Npgsql;
using TenantRag.Postgres.Fleet;
using TenantRag.Postgres.Installation;
using TenantRag.Tenancy;
using static TenantRag.Postgres.Audit.AuditText;

namespace TenantRag.Postgres.Audit;

/// <summary>
/// The isolation linter of docs/DESIGN.md §8, over every server of the fleet that is not removed: the catalog, and on
/// each server the template, the shared database and every dedicated one placed there. It reasons about effective
/// access rather than known patterns: the principals that serve tenants (<c>authenticated</c>, <c>anonymous</c>, the
/// serving role, every dedicated tenant's login role) and every role they can become must reach no superuser,
/// BYPASSRLS, CREATEROLE, admin or predefined role; and every relation, in every schema, that one of them can read or
/// write must be filtered by the tenant policy (row-level security enabled and forced, an owner they cannot become, and
/// for each command they may run, policies that AND in <c>tenant_id = (SELECT auth.tenant_id())</c>), along with
/// views, SECURITY DEFINER functions, sequences and the privileges to connect to a database or create objects; what
/// deleted tenants left behind (rows, usage counters and data versions of no live tenant, stale registry entries,
/// unfinished deletes); and the replication objects of moves that no move in progress owns. Reads as the admin role,
/// one connection per database, and as each server's bootstrap role for its slots and subscriptions; changes nothing.
/// </summary>
/// <param name="database">The installation.</param>
/// <param name="home">
/// Where the fleet's servers' bootstrap passwords are kept (<see cref="ServerCredentials"/>); without it, a server
/// whose password is kept in a file has its replication objects reported as not checked.
/// </param>
public sealed partial class IsolationAuditor(TenantRagDatabase database, TenantRagHome? home = null)
{
    private Installation.Installation Installation => database.Installation;

    private InstallationNames Names => Installation.Names;

    /// <summary>Audits the whole installation, every server of it; no finding of <see cref="AuditSeverity.Error"/> means clean.</summary>
    public async Task<IReadOnlyList<AuditFinding>> AuditAsync(CancellationToken cancellationToken = default)
    {
        var tenants = await database.Catalog.ListAsync(cancellationToken).ConfigureAwait(false);
        var findings = new List<AuditFinding>(UnfinishedDeletes(tenants));
        var replication = new List<ServerReplication>();
        foreach (var server in (await ServerFleet.ReadAsync(database, null, cancellationToken).ConfigureAwait(false)).Where(s => s.Status != "removed"))
        {
            var on = ServerFleet.On(Installation, server);
            try
            {
                findings.AddRange((await AuditServerAsync(on, tenants, cancellationToken).ConfigureAwait(false)).Select(f => f with { Server = server.Name }));
            }
            catch (NpgsqlException ex) when (!cancellationToken.IsCancellationRequested)
            {
                findings.Add(NotAudited(server.Name, "its databases", ex));
            }

            var (state, notChecked) = await ReadReplicationAsync(server, on, cancellationToken).ConfigureAwait(false);
            if (state is not null)
            {
                replication.Add(state);
            }
            else
            {
                findings.Add(notChecked!);
            }
        }

        // Read last: a move that starts while the servers are read has its row written before its objects exist.
        findings.AddRange(ReplicationRules(replication, await MovesInProgressAsync(cancellationToken).ConfigureAwait(false)));
        return findings;
    }

    /// <summary>The relation, policy, function, view, sequence and schema rules in one database of the primary.</summary>
    public Task<IReadOnlyList<AuditFinding>> AuditDatabaseAsync(string name, CancellationToken cancellationToken = default) =>
        InDatabaseAsync(Installation, name, async connection =>
        {
            var graph = await RoleGraph.LoadAsync(connection, Names, cancellationToken).ConfigureAwait(false);
            return await DatabaseAudit.RunAsync(connection, name, graph, Names, cancellationToken).ConfigureAwait(false);
        }, cancellationToken);

    // One server: its roles (read from its maintenance database: the catalog on the primary, the shared database on any
    // other), the databases it holds for the installation, and each of them.
    private async Task<IReadOnlyList<AuditFinding>> AuditServerAsync(Installation.Installation on, IReadOnlyList<TenantInfo> tenants, CancellationToken cancellationToken)
    {
        var primary = on.ServerId == Installation.ServerId;
        var dedicated = tenants.Where(t => t.Mode == TenancyMode.Dedicated && t.Server == on.ServerId).Select(t => t.Database);
        string[] own = primary ? [Names.Catalog, Names.Template, Names.Shared, .. dedicated] : [Names.Template, Names.Shared, .. dedicated];
        RoleGraph graph = null!;
        IReadOnlyList<string> existing = [];
        var findings = new List<AuditFinding>(await InDatabaseAsync(on, on.MaintenanceDatabase, async connection =>
        {
            graph = await RoleGraph.LoadAsync(connection, Names, cancellationToken).ConfigureAwait(false);
            var (databaseFindings, found) = await DatabaseRulesAsync(connection, graph, own, cancellationToken).ConfigureAwait(false);
            existing = found;
            return primary
                ? [.. RoleRules(graph), .. databaseFindings, .. await DatabaseAudit.RunAsync(connection, Names.Catalog, graph, Names, cancellationToken).ConfigureAwait(false)]
                : [.. RoleRules(graph), .. databaseFindings];
        }, cancellationToken).ConfigureAwait(false));

        foreach (var name in existing.Where(n => n != Names.Catalog))
        {
            try
            {
                findings.AddRange(await InDatabaseAsync(on, name, async connection =>
                    [
                        .. await DatabaseAudit.RunAsync(connection, name, graph, Names, cancellationToken).ConfigureAwait(false),
                        .. await LeftoverRulesAsync(connection, name, on.ServerId, tenants, cancellationToken).ConfigureAwait(false),
                    ], cancellationToken).ConfigureAwait(false));
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InvalidCatalogName)
            {
                // Dropped since it was listed (a tenant being deleted): nothing left to audit.
            }
        }

        return findings;
    }

    // Part of a server that could not be audited: that is no clean bill of health, so it is an error.
    private static AuditFinding NotAudited(string server, string what, Exception why) => NotAudited(server, what,
        why is PostgresException pg ? $"PostgreSQL said: {pg.MessageText} (SQLSTATE {pg.SqlState})" : why.Message);

    private static AuditFinding NotAudited(string server, string what, string why) =>
        Finding(AuditRules.ServerNotAudited, $"server {server}", $"{what} on server '{server}' could not be audited, so this audit says nothing about them: {why}",
            $"-- make server '{server}' reachable ('tenantrag server list' shows its state), then run 'tenantrag audit' again") with { Server = server };

    // One unpooled admin connection. search_path = pg_catalog makes pg_get_expr qualify every other name, so a
    // policy's deparsed text says exactly which function it calls and its fix SQL runs under any search_path.
    private static async Task<IReadOnlyList<AuditFinding>> InDatabaseAsync(Installation.Installation on, string name,
        Func<NpgsqlConnection, Task<IReadOnlyList<AuditFinding>>> audit, CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(on.AdminConnectionString(name)) { Pooling = false, SearchPath = "pg_catalog" };
        await using var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await audit(connection).ConfigureAwait(false);
    }
}
