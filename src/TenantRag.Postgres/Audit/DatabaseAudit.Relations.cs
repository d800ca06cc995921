using static TenantRag.Postgres.Audit.AuditText;

namespace TenantRag.Postgres.Audit;

internal sealed partial class DatabaseAudit
{
    private static readonly string[] PolicyColumns = ["tenant_id", "owner_id", "visibility"];

    private static bool IsData(Access access) => DataCommands.Contains(access.Privilege, StringComparer.Ordinal);

    // The catalog's tenant list is the one relation a serving role reads unfiltered, by design: the server maps a
    // token's tenant to its database with it. It holds slugs and where each tenant lives, no tenant's documents, and
    // Catalog/001_catalog.sql grants the serving role SELECT on it and UPDATE of last_active_at only, and
    // Catalog/003_ingest_requests.sql UPDATE of ingest_requested_at (flagging a tenant whose uploads wait).
    private static readonly string[] ColumnsTheServingRoleUpdates = ["last_active_at", "ingest_requested_at"];

    // Likewise where each server of the fleet is (Catalog/005_server_routing.sql): a tenant's sessions go to the server
    // its row names, through the server's pooler when it has one (Catalog/008_server_poolers.sql). Those columns only,
    // never the bootstrap role nor where its password is kept.
    private static readonly string[] ServerColumnsTheServingRoleReads = ["id", "host", "port", "ssl_mode", "status", "pooler_host", "pooler_port"];

    private bool IsGrantedByDesign(RelationInfo relation, Access access) =>
        _database == _names.Catalog && access.Acting == _graph.App?.Oid && relation.Schema == "tenantrag"
        && (relation.Name == "tenants"
                ? access.Privilege == "SELECT" || (access.Privilege == "UPDATE" && ColumnsTheServingRoleUpdates.Contains(access.Column, StringComparer.Ordinal))
                : relation.Name == "servers"
                    ? access.Privilege == "SELECT" && ServerColumnsTheServingRoleReads.Contains(access.Column, StringComparer.Ordinal)
                    : relation.Name == "serving_processes" && IsServingPresence(access));

    // Each serving process's row of what it holds per tenant (Catalog/009_serving_processes.sql): it writes and deletes
    // its own and finds rows by id and expiry, but reads no process's holdings. No tenant's data is in it.
    private static bool IsServingPresence(Access access) => access.Privilege switch
    {
        "INSERT" or "DELETE" => true,
        "SELECT" => access.Column is "id" or "expires_at",
        "UPDATE" => access.Column is "seen_at" or "expires_at" or "holdings",
        _ => false,
    };

    private IEnumerable<AuditFinding> OwnershipFindings()
    {
        foreach (var relation in _relations.Where(r => _graph.Acting.Contains(r.Owner)))
        {
            var name = Object(relation.Schema, relation.Name);
            yield return Finding(AuditRules.ServingRoleOwnsTable, name,
                $"{name} is owned by {RoleName(relation.Owner)}, a role {Principals(relation.Owner)} can become: an owner is not filtered unless FORCE is set, and may switch row-level security off, drop the policies or grant the relation to anyone",
                OwnershipFix(relation.Owner, $"ALTER {relation.KindSql} {relation.Sql}"));
        }
    }

    private IEnumerable<AuditFinding> RelationFindings()
    {
        foreach (var relation in _relations)
        {
            var access = _access.Where(a => a.Relation == relation.Oid && !IsGrantedByDesign(relation, a)).ToList();
            IEnumerable<AuditFinding> findings = relation.Kind switch
            {
                _ when access.Count == 0 => [],
                'S' => SequenceFindings(relation, access),
                'm' => ReadableRelation(relation, access.Where(a => a.Privilege == "SELECT").ToList(), AuditRules.MaterializedViewReadable,
                    "a materialized view has no row-level security: it holds every row its owner saw when it was refreshed, every tenant's"),
                'f' => ReadableRelation(relation, access.Where(IsData).ToList(), AuditRules.RelationUnfiltered,
                    "a foreign table cannot have row-level security: every row it returns reaches the caller, every tenant's"),
                'v' => ViewFindings(relation, access),
                _ => TableFindings(relation, access),
            };
            foreach (var finding in findings)
            {
                yield return finding;
            }
        }
    }

    // Every writer of a database draws from its sequences: a caller that may read or advance one counts the writes of
    // other tenants (shared database) and of colleagues between two of its own calls; setval breaks their inserts.
    private IEnumerable<AuditFinding> SequenceFindings(RelationInfo sequence, List<Access> access) =>
        ReadableRelation(sequence, access.Where(a => a.Privilege is "USAGE" or "SELECT" or "UPDATE").ToList(), AuditRules.SequenceExposed,
            "every writer of the database draws from it, so the gap between two of a caller's own nextval or last_value readings counts other tenants' and colleagues' writes, and setval breaks their inserts");

    private IEnumerable<AuditFinding> ViewFindings(RelationInfo view, List<Access> access)
    {
        var data = access.Where(IsData).ToList();
        if (data.Count == 0 || view.SecurityInvoker)
        {
            yield break;
        }

        var name = Object(view.Schema, view.Name);
        yield return Finding(AuditRules.ViewNotSecurityInvoker, name,
            $"{Who(data)} can {What(data)} view {name}, which runs with its owner's ({RoleName(view.Owner)}) rights: row-level security of the relations under it is checked against the owner, not the caller",
            $"ALTER VIEW {view.Sql} SET (security_invoker = true);");
    }

    private IEnumerable<AuditFinding> TableFindings(RelationInfo table, List<Access> access)
    {
        var name = Object(table.Schema, table.Name);
        var unfiltered = access.Where(a => a.Privilege is "TRUNCATE" or "TRIGGER").ToList();
        if (unfiltered.Count > 0)
        {
            yield return Finding(AuditRules.PrivilegeBypassesRls, name,
                $"{Who(unfiltered)} can {What(unfiltered)} {name}: TRUNCATE empties the table for every tenant and a trigger runs code in every writer's session, and row-level security governs neither",
                $"REVOKE TRUNCATE, TRIGGER ON TABLE {table.Sql} FROM {Grantees(unfiltered)};");
        }

        var data = access.Where(IsData).ToList();
        if (data.Count == 0)
        {
            yield break;
        }

        if (!table.RlsEnabled && !table.HasTenant)
        {
            foreach (var finding in ReadableRelation(table, data, AuditRules.RelationUnfiltered,
                "it has neither row-level security nor a tenant_id column, so nothing keeps one tenant's rows from another"))
            {
                yield return finding;
            }

            yield break;
        }

        if (!table.RlsEnabled)
        {
            yield return Finding(AuditRules.RlsDisabled, name,
                $"row-level security is disabled on {name}: {Who(data)} can {What(data)} every tenant's rows", $"ALTER TABLE {table.Sql} ENABLE ROW LEVEL SECURITY;");
        }

        if (!table.RlsForced)
        {
            yield return Finding(AuditRules.RlsNotForced, name,
                $"row-level security is not forced on {name}: its owner (and anything running as it) bypasses the policies", $"ALTER TABLE {table.Sql} FORCE ROW LEVEL SECURITY;");
        }

        foreach (var finding in PolicyFindings(table, data))
        {
            yield return finding;
        }
    }

    // A relation no policy can make safe for these callers: the fix takes the grants away (and, for the catalog's
    // tenant list, gives the serving role back what it is meant to have).
    private IEnumerable<AuditFinding> ReadableRelation(RelationInfo relation, List<Access> access, string rule, string why)
    {
        if (access.Count == 0)
        {
            yield break;
        }

        var name = Object(relation.Schema, relation.Name);
        var revoke = $"REVOKE ALL ON {(relation.Kind == 'S' ? "SEQUENCE" : "TABLE")} {relation.Sql} FROM {Grantees(access)};";
        if (_database == _names.Catalog && relation is { Schema: "tenantrag", Name: "tenants" } && _graph.App is { } app && access.Any(a => a.Grantee == app.Oid))
        {
            revoke += $" GRANT SELECT, UPDATE ({string.Join(", ", ColumnsTheServingRoleUpdates)}) ON TABLE {relation.Sql} TO {Quote(app.Name)};";
        }

        yield return Finding(rule, name, $"{Who(access)} can {What(access)} {name}: {why}", revoke);
    }

    private IEnumerable<AuditFinding> IndexFindings()
    {
        foreach (var table in _relations.Where(r => r.Kind is 'r' or 'p' && r.RlsEnabled))
        {
            foreach (var column in PolicyColumns.Where(c => table.Columns.Contains(c) && !table.IndexedColumns.Contains(c)))
            {
                var name = Object(table.Schema, table.Name);
                yield return Finding(AuditRules.PolicyColumnUnindexed, $"{name}.{column}",
                    $"{name}.{column} is filtered by the policies on every query but has no index: queries scan every tenant's rows",
                    $"CREATE INDEX ON {table.Sql} (tenant_id{(column == "tenant_id" ? string.Empty : ", " + column)});");
            }
        }
    }

    // "authenticated, tenantrag_app": the acting roles that hold these privileges.
    private string Who(IEnumerable<Access> access) => List(access.Select(a => Describe(a.Acting)));

    // "SELECT, UPDATE (owner_id)": the privileges, column privileges with their columns.
    private static string What(IEnumerable<Access> access) =>
        string.Join(", ", access.GroupBy(a => a.Privilege).OrderBy(g => Array.IndexOf(DataCommands, g.Key))
            .Select(g => g.All(a => a.Column is not null) ? $"{g.Key} ({string.Join(", ", g.Select(a => a.Column).Distinct().Order())})" : g.Key));

    private string Grantees(IEnumerable<Access> access) => string.Join(", ", access.Select(a => a.Grantee).Distinct().Order().Select(g => Grantee(_graph, g)));
}
