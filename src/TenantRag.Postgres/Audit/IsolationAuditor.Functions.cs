using Npgsql;

namespace TenantRag.Postgres.Audit;

public sealed partial class IsolationAuditor
{
    private static async Task<IReadOnlyList<AuditFinding>> FunctionRulesAsync(NpgsqlConnection connection, string db, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand("""
            SELECT n.nspname::text, p.proname::text, pg_get_function_identity_arguments(p.oid),
                   coalesce(EXISTS (SELECT 1 FROM unnest(p.proconfig) AS c WHERE c LIKE 'search\_path=%'), false),
                   has_function_privilege('authenticated', p.oid, 'EXECUTE')
            FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE p.prosecdef AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
            ORDER BY 1, 2
            """, connection);
        var findings = new List<AuditFinding>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var signature = $"{Quote(reader.GetString(0))}.{Quote(reader.GetString(1))}({reader.GetString(2)})";
            var name = $"{db}.{reader.GetString(0)}.{reader.GetString(1)}({reader.GetString(2)})";
            if (!reader.GetBoolean(3))
            {
                findings.Add(Finding(AuditRules.DefinerWithoutSearchPath, name,
                    $"SECURITY DEFINER function {name} has no fixed search_path: a caller can shadow the objects it uses and run code with its owner's rights",
                    $"ALTER FUNCTION {signature} SET search_path = pg_catalog, pg_temp;"));
            }

            if (reader.GetBoolean(4))
            {
                findings.Add(Finding(AuditRules.DefinerExecutableByAuthenticated, name,
                    $"SECURITY DEFINER function {name} is executable by authenticated: every tenant's user runs it with its owner's rights, past row-level security",
                    $"REVOKE EXECUTE ON FUNCTION {signature} FROM PUBLIC, authenticated;"));
            }
        }

        return findings;
    }

    private static async Task<IReadOnlyList<AuditFinding>> ViewRulesAsync(NpgsqlConnection connection, string db, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand("""
            SELECT n.nspname::text, c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'v' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
              AND NOT coalesce(EXISTS (SELECT 1 FROM unnest(c.reloptions) AS o WHERE lower(o) IN ('security_invoker=true', 'security_invoker=on', 'security_invoker=1')), false)
            ORDER BY 1, 2
            """, connection);
        var findings = new List<AuditFinding>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var name = $"{db}.{reader.GetString(0)}.{reader.GetString(1)}";
            findings.Add(Finding(AuditRules.ViewNotSecurityInvoker, name,
                $"view {name} runs with its owner's rights: row-level security of the tables under it is checked against the owner, not the caller",
                $"ALTER VIEW {Quote(reader.GetString(0))}.{Quote(reader.GetString(1))} SET (security_invoker = true);"));
        }

        return findings;
    }
}
