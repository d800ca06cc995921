namespace TenantRag.Postgres.Audit;

/// <summary>The rule ids <see cref="IsolationAuditor"/> checks (DESIGN §7).</summary>
public static class AuditRules
{
    /// <summary>A tenant-data table without row-level security enabled.</summary>
    public const string RlsDisabled = "rls-disabled";

    /// <summary>A tenant-data table whose owner is not subject to its policies (no FORCE).</summary>
    public const string RlsNotForced = "rls-not-forced";

    /// <summary>A tenant-data table without a policy for some command.</summary>
    public const string PolicyMissing = "policy-missing";

    /// <summary>A policy that is always true.</summary>
    public const string PolicyAlwaysTrue = "policy-always-true";

    /// <summary>A policy that does not reference the tenant.</summary>
    public const string PolicyWithoutTenant = "policy-without-tenant";

    /// <summary>The serving role (or a tenant role) owns a tenant-data table.</summary>
    public const string ServingRoleOwnsTable = "serving-role-owns-table";

    /// <summary>The serving role (or a tenant role, or <c>authenticated</c>) is superuser or BYPASSRLS.</summary>
    public const string ServingRoleBypassesRls = "serving-role-bypasses-rls";

    /// <summary>A SECURITY DEFINER function without a fixed search_path.</summary>
    public const string DefinerWithoutSearchPath = "security-definer-search-path";

    /// <summary>A SECURITY DEFINER function that <c>authenticated</c> may execute.</summary>
    public const string DefinerExecutableByAuthenticated = "security-definer-executable";

    /// <summary>A view that runs with its owner's rights (no security_invoker).</summary>
    public const string ViewNotSecurityInvoker = "view-not-security-invoker";

    /// <summary>A column a policy filters on, without an index.</summary>
    public const string PolicyColumnUnindexed = "policy-column-unindexed";

    /// <summary>A TenantRag database that PUBLIC may connect to.</summary>
    public const string PublicCanConnect = "database-public-connect";

    /// <summary>Rows, usage counters or data versions whose tenant id belongs to no tenant living in that database.</summary>
    public const string OrphanedRows = "orphaned-rows";

    /// <summary>A registry entry of a tenant id that no tenant of the catalog has in that database.</summary>
    public const string RegistryOrphan = "registry-orphan";

    /// <summary>A live tenant missing from its database's registry (all its writes are refused).</summary>
    public const string RegistryMissing = "registry-missing";

    /// <summary>A tenant left marked deleting: its delete stopped half way.</summary>
    public const string DeletionUnfinished = "deletion-unfinished";
}
