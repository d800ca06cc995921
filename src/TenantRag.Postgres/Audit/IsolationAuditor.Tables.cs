using Npgsql;
using TenantRag.Postgres.Installation;

namespace TenantRag.Postgres.Audit;

public sealed partial class IsolationAuditor
{
    private sealed record TableInfo(uint Oid, string Name, bool RlsEnabled, bool RlsForced, string Owner, HashSet<string> Columns, HashSet<string> IndexedColumns);

    private sealed record PolicyInfo(string Table, string Name, string Command, string? Using, string? Check);

    private async Task<IReadOnlyList<AuditFinding>> TableRulesAsync(NpgsqlConnection connection, string db, CancellationToken cancellationToken)
    {
        var tables = await ReadTablesAsync(connection, cancellationToken).ConfigureAwait(false);
        var policies = await ReadPoliciesAsync(connection, cancellationToken).ConfigureAwait(false);
        var servingRoles = new[] { Names.AppRole, InstallationNames.AuthenticatedRole, InstallationNames.AnonymousRole };
        var tenantRolePrefix = Names.Prefix + "_t_";
        var findings = new List<AuditFinding>();
        foreach (var table in tables)
        {
            var name = $"{db}.public.{table.Name}";
            var quoted = "public." + Quote(table.Name);
            if (!table.RlsEnabled)
            {
                findings.Add(Finding(AuditRules.RlsDisabled, name, $"row-level security is disabled on {name}: every role with access sees every tenant's rows", $"ALTER TABLE {quoted} ENABLE ROW LEVEL SECURITY;"));
            }

            if (!table.RlsForced)
            {
                findings.Add(Finding(AuditRules.RlsNotForced, name, $"row-level security is not forced on {name}: its owner (and anything running as it) bypasses the policies", $"ALTER TABLE {quoted} FORCE ROW LEVEL SECURITY;"));
            }

            if (servingRoles.Contains(table.Owner, StringComparer.Ordinal) || table.Owner.StartsWith(tenantRolePrefix, StringComparison.Ordinal))
            {
                findings.Add(Finding(AuditRules.ServingRoleOwnsTable, name, $"{name} is owned by {table.Owner}, a role that serves tenant requests: an owner can disable or drop its policies", $"ALTER TABLE {quoted} OWNER TO {Quote(Names.AdminRole)};"));
            }

            var own = policies.Where(p => p.Table == table.Name).ToList();
            foreach (var command in Commands.Where(c => !own.Any(p => p.Command == c || p.Command == "ALL")))
            {
                findings.Add(Finding(AuditRules.PolicyMissing, $"{name} ({command})", $"{name} has no {command} policy: that command is either refused for everyone or, if a policy is added carelessly later, unguarded",
                    command == "INSERT"
                        ? $"CREATE POLICY {table.Name}_insert ON {quoted} FOR INSERT TO authenticated WITH CHECK (tenant_id = (SELECT auth.tenant_id()));"
                        : $"CREATE POLICY {table.Name}_{command.ToLowerInvariant()} ON {quoted} FOR {command} TO authenticated USING (tenant_id = (SELECT auth.tenant_id()));"));
            }

            foreach (var policy in own)
            {
                var expressions = new[] { policy.Using, policy.Check }.Where(e => e is not null).Select(e => e!).ToList();
                var policyName = $"{name} policy {policy.Name}";
                if (expressions.Any(IsAlwaysTrue))
                {
                    findings.Add(Finding(AuditRules.PolicyAlwaysTrue, policyName, $"policy {policy.Name} on {name} is always true: it lets every row through, for every tenant", $"DROP POLICY {Quote(policy.Name)} ON {quoted}; -- and create one that compares tenant_id with (SELECT auth.tenant_id())"));
                }
                else if (table.Columns.Contains("tenant_id") && expressions.Any(e => !e.Contains("tenant_id", StringComparison.Ordinal)))
                {
                    findings.Add(Finding(AuditRules.PolicyWithoutTenant, policyName, $"policy {policy.Name} on {name} does not compare tenant_id: rows of other tenants can pass it", $"ALTER POLICY {Quote(policy.Name)} ON {quoted} USING (tenant_id = (SELECT auth.tenant_id()) AND ({policy.Using ?? "true"}));"));
                }
            }

            foreach (var column in PolicyColumns.Where(c => table.Columns.Contains(c) && !table.IndexedColumns.Contains(c)))
            {
                findings.Add(Finding(AuditRules.PolicyColumnUnindexed, $"{name}.{column}", $"{name}.{column} is filtered by the policies on every query but has no index: queries scan every tenant's rows", $"CREATE INDEX ON {quoted} (tenant_id{(column == "tenant_id" ? string.Empty : ", " + column)});"));
            }
        }

        return findings;
    }

    // "true", "(true)", "((true))", "1 = 1": what PostgreSQL stores for a policy that accepts everything.
    private static bool IsAlwaysTrue(string expression)
    {
        var text = expression.Replace("(", string.Empty, StringComparison.Ordinal).Replace(")", string.Empty, StringComparison.Ordinal).Trim().ToLowerInvariant();
        return text is "true" or "1 = 1" or "'t'::boolean" or "true::boolean";
    }

    private static async Task<List<TableInfo>> ReadTablesAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand("""
            SELECT c.oid, c.relname, c.relrowsecurity, c.relforcerowsecurity, pg_get_userbyid(c.relowner),
                   array(SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
                   array(SELECT DISTINCT a.attname::text FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
                         WHERE i.indrelid = c.oid)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
            ORDER BY c.relname
            """, connection);
        var tables = new List<TableInfo>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            tables.Add(new TableInfo(reader.GetFieldValue<uint>(0), reader.GetString(1), reader.GetBoolean(2), reader.GetBoolean(3), reader.GetString(4),
                [.. reader.GetFieldValue<string[]>(5)], [.. reader.GetFieldValue<string[]>(6)]));
        }

        return tables;
    }

    private static async Task<List<PolicyInfo>> ReadPoliciesAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand("SELECT tablename::text, policyname::text, cmd, qual, with_check FROM pg_policies WHERE schemaname = 'public'", connection);
        var policies = new List<PolicyInfo>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            policies.Add(new PolicyInfo(reader.GetString(0), reader.GetString(1), reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4)));
        }

        return policies;
    }

    private static AuditFinding Finding(string rule, string target, string message, string fix) =>
        new() { Rule = rule, Object = target, Message = message, Fix = fix };
}
