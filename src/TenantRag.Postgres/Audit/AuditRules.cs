namespace TenantRag.Postgres.Audit;

/// <summary>
/// The rule ids <see cref="IsolationAuditor"/> reports (docs/DESIGN.md §8). A principal is <c>authenticated</c>,
/// <c>anonymous</c>, the serving role or a dedicated tenant's login role, together with every role it can become.
/// Relation rules apply only to relations a principal can read or write: one that no principal can reach is no finding.
/// </summary>
public static class AuditRules
{
    /// <summary>A table with a <c>tenant_id</c> column that a principal can read or write, without row-level security enabled.</summary>
    public const string RlsDisabled = "rls-disabled";

    /// <summary>A table a principal can read or write whose owner is not subject to its policies (no FORCE).</summary>
    public const string RlsNotForced = "rls-not-forced";

    /// <summary>A tenant table on which a principal holds a privilege for a command that no policy covers for it.</summary>
    public const string PolicyMissing = "policy-missing";

    /// <summary>A permissive policy that applies to a principal and is always true.</summary>
    public const string PolicyAlwaysTrue = "policy-always-true";

    /// <summary>
    /// A permissive policy that applies to a principal and does not AND in <c>tenant_id = (SELECT auth.tenant_id())</c>
    /// at its top level (e.g. <c>USING (tenant_id IS NOT NULL)</c>), with no restrictive policy that does.
    /// </summary>
    public const string PolicyWithoutTenant = "policy-without-tenant";

    /// <summary>A relation (table, view, sequence...) owned by a principal or by a role a principal can become.</summary>
    public const string ServingRoleOwnsTable = "serving-role-owns-table";

    /// <summary>A function, schema or database owned by a principal or by a role a principal can become.</summary>
    public const string ServingRoleOwnsObject = "serving-role-owns-object";

    /// <summary>A principal that is itself SUPERUSER, BYPASSRLS or CREATEROLE.</summary>
    public const string ServingRoleBypassesRls = "serving-role-bypasses-rls";

    /// <summary>
    /// A principal that can become (SET ROLE, through any chain of memberships) a superuser, a BYPASSRLS or CREATEROLE
    /// role, or the admin role.
    /// </summary>
    public const string RoleReachesPrivileged = "role-reaches-privileged";

    /// <summary>A principal that can become a predefined role (<c>pg_read_all_data</c>, <c>pg_signal_backend</c>...).</summary>
    public const string PredefinedRoleGranted = "predefined-role-granted";

    /// <summary>A SECURITY DEFINER function a principal may call, without a fixed search_path.</summary>
    public const string DefinerWithoutSearchPath = "security-definer-search-path";

    /// <summary>A SECURITY DEFINER function a principal may call (PUBLIC included) whose owner is not confined by the tenant policies.</summary>
    public const string DefinerExecutableByAuthenticated = "security-definer-executable";

    /// <summary>A view a principal can read or write that runs with its owner's rights (no security_invoker).</summary>
    public const string ViewNotSecurityInvoker = "view-not-security-invoker";

    /// <summary>A materialized view a principal can read: it has no row-level security.</summary>
    public const string MaterializedViewReadable = "materialized-view-readable";

    /// <summary>
    /// A relation a principal can read or write that nothing filters by tenant: a table with neither row-level security
    /// nor a <c>tenant_id</c> column, or a foreign table.
    /// </summary>
    public const string RelationUnfiltered = "relation-unfiltered";

    /// <summary>TRUNCATE or TRIGGER on a table held by a principal: row-level security governs neither.</summary>
    public const string PrivilegeBypassesRls = "privilege-bypasses-rls";

    /// <summary>A sequence a principal may read or advance: its values count other tenants' writes.</summary>
    public const string SequenceExposed = "sequence-exposed";

    /// <summary>A column a policy filters on, without an index.</summary>
    public const string PolicyColumnUnindexed = "policy-column-unindexed";

    /// <summary>A TenantRag database that PUBLIC may connect to.</summary>
    public const string PublicCanConnect = "database-public-connect";

    /// <summary>A TenantRag database a login principal may connect to that is not its own (another tenant's, the template).</summary>
    public const string DatabaseForeignConnect = "database-foreign-connect";

    /// <summary>A TenantRag database in which a principal may create schemas.</summary>
    public const string DatabaseCreate = "database-create";

    /// <summary>A TenantRag database in which a principal may create temporary tables.</summary>
    public const string DatabaseTemp = "database-temp";

    /// <summary>A schema in which a principal may create objects (public, auth, or any other).</summary>
    public const string SchemaCreate = "schema-create";

    /// <summary>Rows, usage counters or data versions whose tenant id belongs to no tenant living in that database.</summary>
    public const string OrphanedRows = "orphaned-rows";

    /// <summary>A registry entry of a tenant id that no tenant of the catalog has in that database.</summary>
    public const string RegistryOrphan = "registry-orphan";

    /// <summary>A live tenant missing from its database's registry (all its writes are refused).</summary>
    public const string RegistryMissing = "registry-missing";

    /// <summary>A tenant left marked deleting: its delete stopped half way.</summary>
    public const string DeletionUnfinished = "deletion-unfinished";

    /// <summary>
    /// A publication <c>tenantrag_move_&lt;id&gt;</c> in a database of the installation, of no move in progress
    /// (<c>tenantrag.tenant_moves</c> has no row of that id in step preparing, copying, fenced or switched).
    /// </summary>
    public const string OrphanedPublication = "orphaned-publication";

    /// <summary>
    /// A logical replication slot of a move (<c>tenantrag_move_&lt;id&gt;</c>), or a table-synchronisation slot PostgreSQL
    /// made for a move's subscription (<c>pg_&lt;subscription oid&gt;_sync_&lt;table oid&gt;_&lt;system id&gt;</c>), of no move in
    /// progress: it keeps every WAL segment from its restart point, so a forgotten slot fills the disk.
    /// </summary>
    public const string OrphanedReplicationSlot = "orphaned-replication-slot";

    /// <summary>A subscription <c>tenantrag_move_&lt;id&gt;</c> in a database of the installation, of no move in progress.</summary>
    public const string OrphanedSubscription = "orphaned-subscription";

    /// <summary>A warning: an inactive logical replication slot that is not TenantRag's, with the WAL it holds.</summary>
    public const string InactiveReplicationSlot = "inactive-replication-slot";

    /// <summary>A server of the fleet (or part of what is checked on it) that could not be audited, and why.</summary>
    public const string ServerNotAudited = "server-not-audited";
}
