namespace TenantRag.Postgres.Audit;

/// <summary>What each of PostgreSQL's predefined roles gives a role that serves tenants (none of them is needed).</summary>
internal static class PredefinedRoles
{
    private static readonly Dictionary<string, string> Reasons = new(StringComparer.Ordinal)
    {
        ["pg_read_all_data"] = "it reads every table, view and sequence without a GRANT: row-level security still filters, but every table without it (the tenant registry, the catalog) is open",
        ["pg_write_all_data"] = "it writes every table without a GRANT: every table without row-level security (the tenant registry, the catalog) can be changed",
        ["pg_read_server_files"] = "it reads any file the server can read: every database's data files, every tenant's rows",
        ["pg_write_server_files"] = "it writes any file the server can write: the data files and the server's configuration",
        ["pg_execute_server_program"] = "it runs programs as the server's operating-system user: the whole cluster",
        ["pg_signal_backend"] = "it cancels and ends other sessions, those serving other tenants included",
        ["pg_read_all_stats"] = "it sees every session's activity and query text in pg_stat_activity, other tenants' included",
        ["pg_monitor"] = "it sees every session's activity and query text in pg_stat_activity, other tenants' included",
        ["pg_stat_scan_tables"] = "it runs monitoring functions that lock and scan any table",
        ["pg_read_all_settings"] = "it reads every server setting, file paths and ones only superusers see included",
        ["pg_checkpoint"] = "it forces checkpoints, an I/O burst every tenant pays for",
    };

    /// <summary>Why a serving role must not have <paramref name="role"/>, or null when it is not a predefined role.</summary>
    public static string? Why(string role) =>
        Reasons.TryGetValue(role, out var reason) ? reason
        : role.StartsWith("pg_", StringComparison.Ordinal) && role != "pg_database_owner" ? "a predefined role: it gives rights beyond the grants on tenant tables, and serving a tenant needs none"
        : null;
}
