using Npgsql;
using static TenantRag.Postgres.Audit.AuditText;

namespace TenantRag.Postgres.Audit;

public sealed partial class IsolationAuditor
{
    // A principal that is privileged itself, and every privileged role a principal can become, reported once per
    // membership to revoke (several principals and roles often hang off one bad GRANT).
    private static IEnumerable<AuditFinding> RoleRules(RoleGraph graph)
    {
        foreach (var principal in graph.Principals.Where(p => p.Superuser || p.BypassRls || p.CreateRole))
        {
            var what = principal.Superuser ? "SUPERUSER" : principal.BypassRls ? "BYPASSRLS" : "CREATEROLE";
            yield return Finding(AuditRules.ServingRoleBypassesRls, $"role {principal.Name}",
                $"role {principal.Name} serves tenant requests but is {what}: row-level security does not apply to it (or it can grant itself a role it does not apply to), so one bug exposes every tenant",
                $"ALTER ROLE {Quote(principal.Name)} NOSUPERUSER NOBYPASSRLS NOCREATEROLE;");
        }

        var cuts = new Dictionary<RoleGraph.Edge, List<(RoleGraph.Role Target, IReadOnlyList<RoleGraph.Role> Path, string Why)>>();
        foreach (var oid in graph.Reachable)
        {
            if (graph[oid] is not { } target || graph.Principals.Contains(target) || graph.Privilege(target) is not { } why || graph.EdgeToRevoke(oid) is not { } cut)
            {
                continue;
            }

            if (!cuts.TryGetValue(cut.Edge, out var reached))
            {
                cuts[cut.Edge] = reached = [];
            }

            reached.Add((target, cut.Path, why));
        }

        foreach (var (edge, reached) in cuts.OrderBy(c => c.Key.Member.Name, StringComparer.Ordinal).ThenBy(c => c.Key.Of.Name, StringComparer.Ordinal))
        {
            var who = List(graph.PrincipalsReaching(edge.Member.Oid).Select(p => p.Name));
            var how = string.Join("; ", reached.OrderBy(r => r.Path.Count).Select(r => $"{string.Join(" -> ", r.Path.Select(p => p.Name))} ({r.Why})"));
            var rule = reached.All(r => PredefinedRoles.Why(r.Target.Name) is not null) ? AuditRules.PredefinedRoleGranted : AuditRules.RoleReachesPrivileged;
            yield return Finding(rule, $"role {edge.Member.Name} in {edge.Of.Name}",
                $"{who} can SET ROLE (NOINHERIT does not stop that) along {how}",
                $"REVOKE {Quote(edge.Of.Name)} FROM {Quote(edge.Member.Name)};");
        }
    }

    // Database privileges, read from the catalog connection (pg_database is shared): PUBLIC or a principal that may
    // CONNECT where it does not belong, CREATE (new schemas) or TEMP (temporary tables), and database owners.
    // Returns the findings and which of the listed databases exist.
    private async Task<(IReadOnlyList<AuditFinding> Findings, IReadOnlyList<string> Existing)> DatabaseRulesAsync(NpgsqlConnection connection, RoleGraph graph,
        IReadOnlyList<string> databases, CancellationToken cancellationToken)
    {
        var logins = graph.Principals.Where(p => p.CanLogin && graph.Acting.Contains(p.Oid)).ToList();
        await using var cmd = new NpgsqlCommand("""
            SELECT d.datname::text, d.datdba, a.grantee, a.privilege_type,
                   array(SELECT u FROM unnest($2::oid[]) AS u WHERE CASE WHEN a.grantee = 0 THEN true ELSE pg_has_role(u, a.grantee, 'USAGE') END)
            FROM pg_database d
            LEFT JOIN LATERAL aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a ON a.grantee <> d.datdba
            WHERE d.datname = ANY($1)
            ORDER BY 1, 4, 3
            """, connection);
        cmd.Parameters.Add(new() { Value = databases.Distinct().ToArray() });
        cmd.Parameters.Add(Oids(graph.Acting));
        var findings = new List<AuditFinding>();
        var existing = new List<string>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var name = reader.GetString(0);
            var owner = reader.GetFieldValue<uint>(1);
            if (!existing.Contains(name))
            {
                existing.Add(name);
                if (graph.Acting.Contains(owner))
                {
                    findings.Add(Finding(AuditRules.ServingRoleOwnsObject, $"database {name}",
                        $"database {name} is owned by {graph[owner]!.Name}, a role {List(graph.PrincipalsReaching(owner).Select(p => p.Name))} can become: it owns the public schema, may drop the database and grant anything on it",
                        $"ALTER DATABASE {Quote(name)} OWNER TO {Quote(Names.AdminRole)};"));
                }
            }

            if (reader.IsDBNull(2))
            {
                continue;
            }

            var grantee = reader.GetFieldValue<uint>(2);
            var holders = reader.GetFieldValue<uint[]>(4);
            var finding = reader.GetString(3) switch
            {
                "CONNECT" when grantee == 0 => Finding(AuditRules.PublicCanConnect, $"database {name}",
                    $"PUBLIC may connect to {name}: every login role on the server (other tenants' roles included) can open it",
                    $"REVOKE CONNECT ON DATABASE {Quote(name)} FROM PUBLIC;"),
                "CONNECT" => ForeignConnect(graph, name, grantee, logins.Where(l => holders.Contains(l.Oid) && !MayConnect(graph, l, name)).ToList()),
                "CREATE" when holders.Length > 0 => Finding(AuditRules.DatabaseCreate, $"database {name}",
                    $"{List(holders.Select(h => graph[h]!.Name))} may create schemas in {name}: a schema named after a role comes first on that role's search_path (\"$user\"), so tables and functions planted there replace the ones its queries meant",
                    $"REVOKE CREATE ON DATABASE {Quote(name)} FROM {Grantee(graph, grantee)};"),
                "TEMPORARY" when holders.Length > 0 => Finding(AuditRules.DatabaseTemp, $"database {name}",
                    $"{List(holders.Select(h => graph[h]!.Name))} may create temporary tables in {name}: one outlives the transaction on a pooled connection and, first on the search_path, answers the unqualified queries of the next tenant or user served on it",
                    $"REVOKE TEMPORARY ON DATABASE {Quote(name)} FROM {Grantee(graph, grantee)};"),
                _ => null,
            };
            if (finding is not null)
            {
                findings.Add(finding);
            }
        }

        return (findings, existing);
    }

    private static AuditFinding? ForeignConnect(RoleGraph graph, string database, uint grantee, List<RoleGraph.Role> strangers) =>
        strangers.Count == 0 ? null : Finding(AuditRules.DatabaseForeignConnect, $"database {database}",
            $"{List(strangers.Select(s => s.Name))} may connect to {database}, which is not theirs: inside, a session sets whatever tenant context it likes and reads that database's rows",
            $"REVOKE CONNECT ON DATABASE {Quote(database)} FROM {Grantee(graph, grantee)};");

    // The serving role connects to the catalog and the shared database; a dedicated tenant's role to its own database,
    // which bears its name.
    private bool MayConnect(RoleGraph graph, RoleGraph.Role login, string database) =>
        login.Oid == graph.App?.Oid ? database == Names.Catalog || database == Names.Shared : graph.IsTenantRole(login) && database == login.Name;
}
