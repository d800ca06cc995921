using static TenantRag.Postgres.Audit.AuditText;

namespace TenantRag.Postgres.Audit;

internal sealed partial class DatabaseAudit
{
    private IEnumerable<AuditFinding> FunctionFindings()
    {
        foreach (var function in _functions)
        {
            var name = Object(function.Schema, $"{function.Name}({function.Arguments})");
            if (_graph.Acting.Contains(function.Owner))
            {
                yield return Finding(AuditRules.ServingRoleOwnsObject, name,
                    $"function {name} is owned by {RoleName(function.Owner)}, a role {Principals(function.Owner)} can become: its owner can replace its body, and the new code runs in every session that calls it (triggers and the admin's included)",
                    OwnershipFix(function.Owner, $"ALTER {function.KindSql} {function.Sql}"));
            }

            // A definer function whose owner a caller can become anyway gives the caller nothing new.
            if (!function.SecurityDefiner || function.Executors.Length == 0 || _graph.Reachable.Contains(function.Owner))
            {
                continue;
            }

            var callers = List(function.Executors.Select(Describe));
            if (!_definerOwners.ContainsKey(function.Owner))
            {
                yield return Finding(AuditRules.DefinerExecutableByAuthenticated, name,
                    $"SECURITY DEFINER function {name} is executable by {callers} and runs with the rights of {RoleName(function.Owner)}, which is not confined by the tenant policies (privileged, or owns relations): every caller gets those rights, past row-level security",
                    $"REVOKE EXECUTE ON {function.KindSql} {function.Sql} FROM {string.Join(", ", function.Grantees.Order().Select(g => Grantee(_graph, g)))};");
            }

            if (!function.FixedSearchPath)
            {
                yield return Finding(AuditRules.DefinerWithoutSearchPath, name,
                    $"SECURITY DEFINER function {name} is executable by {callers} and has no fixed search_path: a caller can shadow the objects it uses and run code with the rights of {RoleName(function.Owner)}",
                    $"ALTER {function.KindSql} {function.Sql} SET search_path = pg_catalog, pg_temp;");
            }
        }
    }

    private IEnumerable<AuditFinding> SchemaFindings()
    {
        foreach (var schema in _schemas)
        {
            var name = $"{_database}.{schema.Name}";
            if (_graph.Acting.Contains(schema.Owner))
            {
                yield return Finding(AuditRules.ServingRoleOwnsObject, $"schema {name}",
                    $"schema {name} is owned by {RoleName(schema.Owner)}, a role {Principals(schema.Owner)} can become: its owner can drop and replace anything in it, the functions policies call included",
                    OwnershipFix(schema.Owner, $"ALTER SCHEMA {Quote(schema.Name)}"));
                continue;
            }

            var creators = schema.Creators.Where(_graph.Acting.Contains).ToList();
            if (creators.Count > 0 && schema.CreateGrantees.Length > 0)
            {
                yield return Finding(AuditRules.SchemaCreate, $"schema {name}",
                    $"{List(creators.Select(RoleName))} may create objects in schema {name}: a function or operator planted there shadows the one another role's query meant (an unqualified call on a search_path through {schema.Name}) and runs in that role's session, the admin's included",
                    $"REVOKE CREATE ON SCHEMA {Quote(schema.Name)} FROM {string.Join(", ", schema.CreateGrantees.Order().Select(g => Grantee(_graph, g)))};");
            }
        }
    }

    // "tenantrag_app, tenantrag_t_acme": the principals that can become a role.
    private string Principals(uint role) => List(_graph.PrincipalsReaching(role).Select(p => p.Name));

    // An object a principal can own: revoke the membership that reaches its owner, or (when the owner is a principal
    // itself) give the object to the admin role.
    private string OwnershipFix(uint owner, string alter) =>
        _graph.Principals.All(p => p.Oid != owner) && _graph.EdgeToRevoke(owner) is { } cut
            ? $"REVOKE {Quote(cut.Edge.Of.Name)} FROM {Quote(cut.Edge.Member.Name)};"
            : $"{alter} OWNER TO {Quote(_names.AdminRole)};";
}
