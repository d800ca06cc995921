using static TenantRag.Postgres.Audit.AuditText;

namespace TenantRag.Postgres.Audit;

internal sealed partial class DatabaseAudit
{
    // For each command a caller may run on a table, the policies that apply to the caller must guarantee the tenant
    // filter: PERMISSIVE policies are OR'ed, so every one of them must AND in the tenant term, unless a RESTRICTIVE
    // policy (AND'ed with them) does. Expressions are checked where PostgreSQL uses them: USING for the rows a command
    // sees, WITH CHECK (or USING when there is none) for the rows INSERT and UPDATE write.
    private IEnumerable<AuditFinding> PolicyFindings(RelationInfo table, List<Access> data)
    {
        var policies = _policies.Where(p => p.Relation == table.Oid).ToList();
        var missing = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        var leaky = new Dictionary<string, (PolicyInfo Policy, SortedSet<string> Roles, SortedSet<string> Commands)>(StringComparer.Ordinal);
        foreach (var (acting, command) in data.Select(a => (a.Acting, a.Privilege)).Distinct())
        {
            var applicable = policies.Where(p => p.AppliesTo.Contains(acting) && (p.Command == '*' || p.Command == CommandCode(command))).ToList();
            var permissive = applicable.Where(p => p.Permissive).ToList();
            if (permissive.Count == 0)
            {
                // No permissive policy: the command matches no row. Reported on tenant tables, where it means a policy is missing.
                if (table.HasTenant)
                {
                    Add(missing, command, Quote(RoleName(acting)));
                }

                continue;
            }

            foreach (var expression in Expressions(command))
            {
                if (applicable.Any(p => !p.Permissive && expression(p) is { } restrictive && PolicyExpression.RequiresTenant(restrictive)))
                {
                    continue;
                }

                foreach (var policy in permissive.Where(p => expression(p) is { } e && !PolicyExpression.RequiresTenant(e)))
                {
                    var entry = leaky.TryGetValue(policy.Name, out var known) ? known : (policy, new SortedSet<string>(StringComparer.Ordinal), new SortedSet<string>(StringComparer.Ordinal));
                    entry.Item2.Add(Describe(acting));
                    entry.Item3.Add(command);
                    leaky[policy.Name] = entry;
                }
            }
        }

        var name = Object(table.Schema, table.Name);
        foreach (var (command, roles) in missing)
        {
            var policyName = Quote($"{table.Name}_{command.ToLowerInvariant()}");
            var filter = command == "INSERT" ? $"WITH CHECK ({PolicyExpression.TenantFilter})" : $"USING ({PolicyExpression.TenantFilter})";
            yield return Finding(AuditRules.PolicyMissing, $"{name} ({command})",
                $"{List(roles)} may {command} {name} but no {command} policy applies to it: the command matches no row today, and a policy added carelessly later is all that would guard it",
                $"CREATE POLICY {policyName} ON {table.Sql} FOR {command} TO {string.Join(", ", roles)} {filter};");
        }

        foreach (var (policy, roles, commands) in leaky.Values)
        {
            yield return LeakyPolicy(table, policy, roles, commands);
        }
    }

    private AuditFinding LeakyPolicy(RelationInfo table, PolicyInfo policy, IEnumerable<string> roles, IEnumerable<string> commands)
    {
        var name = Object(table.Schema, table.Name);
        var unfiltered = new[] { policy.Using, policy.Check }.OfType<string>().Where(e => !PolicyExpression.RequiresTenant(e)).ToList();
        var alwaysTrue = unfiltered.Any(PolicyExpression.IsAlwaysTrue);
        var drop = $"DROP POLICY {Quote(policy.Name)} ON {table.Sql};";
        var fix = alwaysTrue || !table.HasTenant
            ? drop
            : $"ALTER POLICY {Quote(policy.Name)} ON {table.Sql}"
              + (policy.Using is { } u && !PolicyExpression.RequiresTenant(u) ? $" USING ({PolicyExpression.TenantFilter} AND ({u}))" : string.Empty)
              + (policy.Check is { } c && !PolicyExpression.RequiresTenant(c) ? $" WITH CHECK ({PolicyExpression.TenantFilter} AND ({c}))" : string.Empty)
              + ";";
        var why = alwaysTrue
            ? "it is always true"
            : $"policies are OR'ed, so each must AND in {PolicyExpression.TenantFilter}, and {string.Join(" / ", unfiltered)} does not";
        return Finding(alwaysTrue ? AuditRules.PolicyAlwaysTrue : AuditRules.PolicyWithoutTenant, $"{name} policy {policy.Name}",
            $"permissive policy {policy.Name} on {name} lets {List(roles)} {string.Join(", ", commands.OrderBy(c => Array.IndexOf(DataCommands, c)))} rows of every tenant: {why}", fix);
    }

    private static char CommandCode(string command) => command switch { "SELECT" => 'r', "INSERT" => 'a', "UPDATE" => 'w', _ => 'd' };

    private static Func<PolicyInfo, string?>[] Expressions(string command) => command switch
    {
        "INSERT" => [p => p.CheckOrUsing],
        "UPDATE" => [p => p.Using, p => p.CheckOrUsing],
        _ => [p => p.Using],
    };

    private static void Add(SortedDictionary<string, SortedSet<string>> map, string key, string value)
    {
        if (!map.TryGetValue(key, out var set))
        {
            map[key] = set = new SortedSet<string>(StringComparer.Ordinal);
        }

        set.Add(value);
    }
}
