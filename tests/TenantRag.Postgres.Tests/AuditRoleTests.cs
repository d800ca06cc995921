using Npgsql;
using TenantRag.Postgres.Audit;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Postgres.Tests;

/// <summary>
/// Breaks of isolation through roles and database privileges, which the whole-installation audit reports: each is
/// first proven with a real query as a principal, then reported, then closed by the finding's own fix SQL. The
/// installation is this class's own, so its grants never disturb another class.
/// </summary>
[Trait("Category", "Isolation")]
public sealed class AuditRoleTests(PostgresServer server)
{
    private const string Prefix = "t_auditrole";
    private const string App = $"{Prefix}_app";
    private const string Admin = $"{Prefix}_admin";
    private const string ForeignDocuments = "SELECT count(*) FROM public.documents WHERE tenant_id <> 'acme'";

    [Fact]
    public async Task AuditAsync_AdminRoleGrantedToTheServingRole_IsReportedAndRevoked()
    {
        await using var scratch = await AuditScratch.CreateAsync(server, Prefix);

        // NOINHERIT does not stop SET ROLE: the serving role becomes the admin, which bypasses row-level security.
        var finding = await DrillAsync(scratch, $"GRANT {Admin} TO {App}", () => scratch.AsAppAsync(Admin, ForeignDocuments),
            AuditRules.RoleReachesPrivileged, $"role {App} in {Admin}");

        Assert.Equal($"REVOKE \"{Admin}\" FROM \"{App}\";", finding.Fix);
    }

    [Fact]
    public async Task AuditAsync_AdminRoleReachedThroughAnotherRole_IsReportedAndRevoked()
    {
        var ops = $"{Prefix}_ops";
        await server.ExecuteAsync("postgres", $"DROP ROLE IF EXISTS {ops}; CREATE ROLE {ops} NOLOGIN NOINHERIT");
        try
        {
            await using var scratch = await AuditScratch.CreateAsync(server, Prefix);

            await DrillAsync(scratch, $"GRANT {Admin} TO {ops}; GRANT {ops} TO {App}", () => scratch.AsAppAsync(Admin, ForeignDocuments),
                AuditRules.RoleReachesPrivileged, $"role {App} in {ops}");
        }
        finally
        {
            await server.ExecuteAsync("postgres", $"DROP ROLE IF EXISTS {ops}");
        }
    }

    [Fact]
    public async Task AuditAsync_PgReadAllDataGrantedToTheServingRole_ReadsUnprotectedTablesAndIsRevoked()
    {
        await using var scratch = await AuditScratch.CreateAsync(server, Prefix);
        await server.ExecuteAsync(scratch.Name, "CREATE TABLE public.tenant_registry (tenant_id text PRIMARY KEY); INSERT INTO public.tenant_registry VALUES ('acme'), ('initech')");

        await DrillAsync(scratch, $"GRANT pg_read_all_data TO {App}",
            () => scratch.AsAppAsync("pg_read_all_data", "SELECT count(*) FROM public.tenant_registry WHERE tenant_id <> 'acme'"),
            AuditRules.PredefinedRoleGranted, $"role {App} in pg_read_all_data");
    }

    [Fact]
    public async Task AuditAsync_PgSignalBackendGrantedToTheServingRole_CancelsAnotherRolesSessionAndIsRevoked()
    {
        await using var scratch = await AuditScratch.CreateAsync(server, Prefix);
        await using var admin = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(scratch.Database.Installation.AdminConnectionString(scratch.Name)) { Pooling = false }.ConnectionString);
        await using var victim = await admin.OpenConnectionAsync(TestContext.Current.CancellationToken);

        await DrillAsync(scratch, $"GRANT pg_signal_backend TO {App}",
            () => scratch.AsAppAsync("pg_signal_backend", $"SELECT pg_cancel_backend({victim.ProcessID})"),
            AuditRules.PredefinedRoleGranted, $"role {App} in pg_signal_backend");
    }

    [Fact]
    public async Task AuditAsync_ConnectToAnotherTenantsDatabase_ReadsItsRowsAndIsRevoked()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var database = await server.OpenInstallationAsync(Prefix);
        var names = database.Installation.Names;
        var intruder = await database.Catalog.CreateAsync(Slugs.Unique("intruder"), TenancyMode.Dedicated, ct);
        var victim = await database.Catalog.CreateAsync(Slugs.Unique("victim"), TenancyMode.Dedicated, ct);
        try
        {
            await TenantRows.InsertDocumentsAsync(database, victim.Slug, "Victim's secret");
            var intruderRole = names.DedicatedRole(intruder.Slug);
            var login = database.Installation.Endpoint.ConnectionString(intruderRole, database.Installation.Secrets.DerivePassword(intruderRole), victim.Database).ConnectionString;

            // Inside the victim's database the intruder's role sets the victim's tenant context and reads its rows.
            await DrillAsync(database, "postgres", $"GRANT CONNECT ON DATABASE \"{victim.Database}\" TO \"{intruderRole}\"",
                () => AuditScratch.RunAsync(login, "authenticated", victim.Id, false, "SELECT count(*) FROM public.documents"),
                AuditRules.DatabaseForeignConnect, $"database {victim.Database}");
        }
        finally
        {
            // The victim first: dropping its database drops a CONNECT grant that would keep the intruder's role alive.
            await database.Catalog.DeleteAsync(victim.Slug, ct);
            await database.Catalog.DeleteAsync(intruder.Slug, ct);
        }
    }

    [Fact]
    public async Task AuditAsync_TemporaryTablesInTheSharedDatabase_CarryRowsToTheNextTenantAndAreRevoked()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var database = await server.OpenInstallationAsync(Prefix);
        var shared = database.Installation.Names.Shared;

        // Two tenants served one after the other on one pooled connection: acme's temporary "documents" answers initech.
        async Task<long?> CarriedOverAsync()
        {
            await using var dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(database.Installation.AppConnectionString(shared, 1)) { Pooling = false }.ConnectionString);
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            if (await AuditScratch.RunInTransactionAsync(connection, "authenticated", "acme", true, "CREATE TEMPORARY TABLE documents AS SELECT 'acme secret'::text AS title") is null)
            {
                return null;
            }

            return await AuditScratch.RunInTransactionAsync(connection, "authenticated", "initech", false, "SELECT count(*) FROM documents WHERE title = 'acme secret'");
        }

        await DrillAsync(database, "postgres", $"GRANT TEMPORARY ON DATABASE \"{shared}\" TO authenticated", CarriedOverAsync, AuditRules.DatabaseTemp, $"database {shared}");
    }

    [Fact]
    public async Task AuditAsync_CreateOnTheSharedDatabase_PlantsASchemaOnTheSearchPathAndIsRevoked()
    {
        await using var database = await server.OpenInstallationAsync(Prefix);
        var shared = database.Installation.Names.Shared;
        var app = database.Installation.AppConnectionString(shared, 1);

        // A schema named "authenticated" comes first on every tenant session's search_path ("$user"): its "documents"
        // answers the next tenant's unqualified queries.
        async Task<long?> PlantedAsync()
        {
            if (await AuditScratch.RunAsync(app, "authenticated", "acme", true,
                "CREATE SCHEMA authenticated", "CREATE TABLE authenticated.documents AS SELECT 'planted'::text AS title") is null)
            {
                return null;
            }

            var answered = await AuditScratch.RunAsync(app, "authenticated", "initech", false, "SELECT count(*) FROM documents WHERE title = 'planted'");
            await server.ExecuteAsync(shared, "DROP SCHEMA authenticated CASCADE");
            return answered;
        }

        await DrillAsync(database, "postgres", $"GRANT CREATE ON DATABASE \"{shared}\" TO authenticated", PlantedAsync, AuditRules.DatabaseCreate, $"database {shared}");
    }

    [Fact]
    public async Task AuditAsync_ServingRoleMayRewriteTheTenantCatalog_IsReportedAndTheDesignedGrantsRestored()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var database = await server.OpenInstallationAsync(Prefix);
        var names = database.Installation.Names;
        var tenant = await database.Catalog.CreateAsync(Slugs.Unique("routed"), TenancyMode.Shared, ct);
        var app = database.Installation.AppConnectionString(names.Catalog, 1);
        try
        {
            // UPDATE of database_name re-routes a tenant to another tenant's database.
            await DrillAsync(database, names.Catalog, $"GRANT UPDATE ON tenantrag.tenants TO {App}",
                () => AuditScratch.RunAsync(app, null, null, false, "WITH u AS (UPDATE tenantrag.tenants SET database_name = database_name RETURNING 1) SELECT count(*) FROM u"),
                AuditRules.RelationUnfiltered, $"{names.Catalog}.tenantrag.tenants");
            var stillReads = await AuditScratch.RunAsync(app, null, null, false, "SELECT count(*) FROM tenantrag.tenants");
            var stillStamps = await AuditScratch.RunAsync(app, null, null, false, "WITH u AS (UPDATE tenantrag.tenants SET last_active_at = now() RETURNING 1) SELECT count(*) FROM u");

            Assert.True(stillReads > 0);
            Assert.True(stillStamps > 0);
        }
        finally
        {
            await database.Catalog.DeleteAsync(tenant.Slug, ct);
        }
    }

    private async Task<AuditFinding> DrillAsync(AuditScratch scratch, string breakSql, Func<Task<long?>> leak, string rule, string objectName) =>
        await DrillAsync(scratch.Database, scratch.Name, breakSql, leak, rule, objectName);

    private async Task<AuditFinding> DrillAsync(TenantRagDatabase database, string breakDatabase, string breakSql, Func<Task<long?>> leak, string rule, string objectName)
    {
        var auditor = new IsolationAuditor(database);
        var finding = await AuditDrill.ProveCatchAndFixAsync(server, breakDatabase, breakSql, leak, () => auditor.AuditAsync(TestContext.Current.CancellationToken), rule, objectName);
        Assert.Equal(objectName, finding.Object);
        return finding;
    }
}
