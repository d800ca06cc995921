using TenantRag.Postgres.Audit;
using TenantRag.Testing;

namespace TenantRag.Postgres.Tests;

/// <summary>
/// Breaks of isolation inside one database that an operator can make while every table keeps row-level security on:
/// each is first proven with a real query as a principal (the serving role switched to <c>authenticated</c>, acting
/// for tenant acme, reads or writes initech's rows), then reported by the audit, then closed by the finding's own
/// fix SQL. A few shapes that look suspicious but hold are shown to pass without a finding.
/// </summary>
[Trait("Category", "Isolation")]
public sealed class AuditLeakTests(PostgresServer server)
{
    private const string Prefix = "t_auditleak";
    private const string ForeignDocuments = "SELECT count(*) FROM public.documents WHERE tenant_id <> 'acme'";

    [Fact]
    public async Task AuditDatabaseAsync_ExtraPermissivePolicyTenantIdIsNotNull_IsReportedAndFixed()
    {
        await using var scratch = await ScratchAsync();

        var finding = await DrillAsync(scratch, "CREATE POLICY leak ON public.documents FOR SELECT TO authenticated USING (tenant_id IS NOT NULL)",
            () => scratch.AsAppAsync("authenticated", ForeignDocuments), AuditRules.PolicyWithoutTenant, ".public.documents policy leak");

        Assert.StartsWith("ALTER POLICY \"leak\"", finding.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuditDatabaseAsync_PermissivePolicyForPublic_IsReportedAndFixed()
    {
        await using var scratch = await ScratchAsync();

        await DrillAsync(scratch, "CREATE POLICY shared_docs ON public.documents FOR ALL USING (visibility = 'tenant')",
            () => scratch.AsAppAsync("authenticated", ForeignDocuments), AuditRules.PolicyWithoutTenant, ".public.documents policy shared_docs");
    }

    [Fact]
    public async Task AuditDatabaseAsync_InsertPolicyWithoutTenant_LetsATenantWriteIntoAnotherAndIsFixed()
    {
        await using var scratch = await ScratchAsync();

        await DrillAsync(scratch, "CREATE POLICY own_rows ON public.documents FOR INSERT TO authenticated WITH CHECK (owner_id = (SELECT auth.user_id()))",
            () => scratch.AsAppAsync("authenticated", "INSERT INTO public.documents (tenant_id, owner_id, title, content_hash) VALUES ('initech', 'alice', 'planted', 'p') RETURNING 1"),
            AuditRules.PolicyWithoutTenant, ".public.documents policy own_rows");
    }

    [Theory]
    [InlineData("tenant_id = (SELECT auth.tenant_id()) AND visibility = 'tenant'", true)]
    [InlineData("(SELECT auth.tenant_id()) = tenant_id", true)]
    [InlineData("tenant_id = auth.tenant_id()", true)]
    [InlineData("visibility = 'tenant' AND (owner_id <> '' AND tenant_id = (SELECT auth.tenant_id()))", true)]
    [InlineData("tenant_id = (SELECT auth.tenant_id()) OR visibility = 'tenant'", false)]
    [InlineData("tenant_id IN ((SELECT auth.tenant_id()), 'initech')", false)]
    [InlineData("lower(tenant_id) = lower((SELECT auth.tenant_id()))", false)]
    [InlineData("title <> 'x AND tenant_id = (SELECT auth.tenant_id())'", false)]
    [InlineData("CASE WHEN tenant_id = (SELECT auth.tenant_id()) THEN true ELSE visibility = 'tenant' END", false)]
    public async Task AuditDatabaseAsync_PermissivePolicyShape_PassesOnlyWithATopLevelTenantTerm(string expression, bool guarantees)
    {
        await using var scratch = await ScratchAsync();
        await server.ExecuteAsync(scratch.Name, $"CREATE POLICY shape ON public.documents FOR SELECT TO authenticated USING ({expression})");

        var findings = await scratch.AuditAsync();
        var foreign = await scratch.AsAppAsync("authenticated", ForeignDocuments);

        Assert.Equal(guarantees, !findings.Any(f => f.Rule == AuditRules.PolicyWithoutTenant && f.Object.EndsWith("policy shape", StringComparison.Ordinal)));
        Assert.True(!guarantees || foreign == 0);
    }

    [Fact]
    public async Task AuditDatabaseAsync_RestrictiveTenantPolicyOverAnOpenOne_HoldsAndPasses()
    {
        await using var scratch = await ScratchAsync();
        await server.ExecuteAsync(scratch.Name, """
            CREATE POLICY open_read ON public.documents FOR SELECT TO authenticated USING (true);
            CREATE POLICY tenant_only ON public.documents AS RESTRICTIVE FOR SELECT TO authenticated USING (tenant_id = (SELECT auth.tenant_id()));
            """);

        var held = await scratch.AsAppAsync("authenticated", ForeignDocuments);
        var findings = await scratch.AuditAsync();
        await server.ExecuteAsync(scratch.Name, "DROP POLICY tenant_only ON public.documents");
        var leaked = await scratch.AsAppAsync("authenticated", ForeignDocuments);
        var withoutRestrictive = await scratch.AuditAsync();

        Assert.Equal(0, held);
        Assert.Empty(findings);
        Assert.True(leaked > 0);
        Assert.Contains(withoutRestrictive, f => f.Rule == AuditRules.PolicyAlwaysTrue && f.Object.EndsWith("policy open_read", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("reports", "CREATE SCHEMA reports; GRANT USAGE ON SCHEMA reports TO authenticated")]
    [InlineData("auth", "SELECT 1")]
    [InlineData("tenantrag", "GRANT USAGE ON SCHEMA tenantrag TO authenticated")]
    public async Task AuditDatabaseAsync_CopyOfTenantRowsInAnotherSchema_IsReportedAndFixed(string schema, string schemaSql)
    {
        await using var scratch = await ScratchAsync();

        await DrillAsync(scratch, $"{schemaSql}; CREATE TABLE {schema}.doc_copy AS SELECT * FROM public.documents; GRANT SELECT ON {schema}.doc_copy TO authenticated",
            () => scratch.AsAppAsync("authenticated", $"SELECT count(*) FROM {schema}.doc_copy WHERE tenant_id <> 'acme'"), AuditRules.RlsDisabled, $".{schema}.doc_copy");
    }

    [Fact]
    public async Task AuditDatabaseAsync_ColumnGrantOnTenantTableWithoutRls_IsReportedAndFixed()
    {
        await using var scratch = await ScratchAsync();

        await DrillAsync(scratch, "CREATE TABLE public.document_titles AS SELECT tenant_id, title FROM public.documents; GRANT SELECT (tenant_id, title) ON public.document_titles TO authenticated",
            () => scratch.AsAppAsync("authenticated", "SELECT count(title) FROM public.document_titles WHERE tenant_id <> 'acme'"), AuditRules.RlsDisabled, ".public.document_titles");
    }

    [Fact]
    public async Task AuditDatabaseAsync_ColumnGrantOnTableWithoutTenantColumn_IsReportedAndRevoked()
    {
        await using var scratch = await ScratchAsync();

        var finding = await DrillAsync(scratch, "CREATE TABLE public.upload_log AS SELECT owner_id, title FROM public.documents; GRANT SELECT (title) ON public.upload_log TO authenticated",
            () => scratch.AsAppAsync("authenticated", "SELECT count(title) FROM public.upload_log WHERE title LIKE 'Initech%'"), AuditRules.RelationUnfiltered, ".public.upload_log");

        Assert.StartsWith("REVOKE ALL ON TABLE", finding.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuditDatabaseAsync_TableNoPrincipalCanReach_HasNoFinding()
    {
        await using var scratch = await ScratchAsync();
        await server.ExecuteAsync(scratch.Name, "CREATE TABLE public.tenant_registry (tenant_id text PRIMARY KEY); INSERT INTO public.tenant_registry VALUES ('acme'), ('initech')");

        var read = await scratch.AsAppAsync("authenticated", "SELECT count(*) FROM public.tenant_registry");
        var findings = await scratch.AuditAsync();

        Assert.Null(read);
        Assert.Empty(findings);
    }

    [Fact]
    public async Task AuditDatabaseAsync_MaterializedView_IsReportedAndRevoked()
    {
        await using var scratch = await ScratchAsync();

        await DrillAsync(scratch, "CREATE MATERIALIZED VIEW public.titles AS SELECT tenant_id, title FROM public.documents; GRANT SELECT ON public.titles TO authenticated",
            () => scratch.AsAppAsync("authenticated", "SELECT count(*) FROM public.titles WHERE tenant_id <> 'acme'"), AuditRules.MaterializedViewReadable, ".public.titles");
    }

    [Fact]
    public async Task AuditDatabaseAsync_ViewOwnedByTheAdminWithoutSecurityInvoker_IsReportedAndFixed()
    {
        await using var scratch = await ScratchAsync();

        await DrillAsync(scratch, $"CREATE VIEW public.all_documents AS SELECT * FROM public.documents; ALTER VIEW public.all_documents OWNER TO {Prefix}_admin; GRANT SELECT ON public.all_documents TO authenticated",
            () => scratch.AsAppAsync("authenticated", "SELECT count(*) FROM public.all_documents WHERE tenant_id <> 'acme'"), AuditRules.ViewNotSecurityInvoker, ".public.all_documents");
    }

    [Fact]
    public async Task AuditDatabaseAsync_SequenceUsage_CountsOtherTenantsWritesAndIsRevoked()
    {
        await using var scratch = await ScratchAsync();

        // acme sees no chunk, yet nextval tells it how many chunks were written before its call: initech's six.
        await DrillAsync(scratch, "GRANT USAGE ON SEQUENCE public.chunks_id_seq TO authenticated",
            () => scratch.AsAppAsync("authenticated", "SELECT nextval('public.chunks_id_seq') - 1 - (SELECT count(*) FROM public.chunks)"), AuditRules.SequenceExposed, ".public.chunks_id_seq");
    }

    [Fact]
    public async Task AuditDatabaseAsync_TruncateGrant_EmptiesOtherTenantsRowsAndIsRevoked()
    {
        await using var scratch = await ScratchAsync();

        async Task<long?> OtherTenantsUsageWipedAsync()
        {
            if (await scratch.AsAppAsync(commit: true, "authenticated", "TRUNCATE public.usage_events") is null)
            {
                return null;
            }

            var left = await server.ScalarAsync<long>(scratch.Name, "SELECT count(*) FROM public.usage_events WHERE tenant_id = 'initech'");
            await server.ExecuteAsync(scratch.Name, AuditScratch.UsageSql);
            return left == 0 ? 1 : 0;
        }

        await DrillAsync(scratch, "GRANT TRUNCATE ON public.usage_events TO authenticated", OtherTenantsUsageWipedAsync, AuditRules.PrivilegeBypassesRls, ".public.usage_events");
    }

    [Fact]
    public async Task AuditDatabaseAsync_SecurityDefinerFunctionOwnedByTheAdmin_IsReportedAndRevoked()
    {
        await using var scratch = await ScratchAsync();

        await DrillAsync(scratch, $"""
            CREATE FUNCTION public.document_count() RETURNS bigint LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS 'SELECT count(*) FROM public.documents';
            ALTER FUNCTION public.document_count() OWNER TO {Prefix}_admin
            """,
            () => scratch.AsAppAsync("authenticated", "SELECT public.document_count() - (SELECT count(*) FROM public.documents)"),
            AuditRules.DefinerExecutableByAuthenticated, ".public.document_count()");
    }

    [Fact]
    public async Task AuditDatabaseAsync_SecurityDefinerFunctionOwnedByAConfinedRole_HoldsAndPasses()
    {
        var reporter = $"{Prefix}_reporter";
        await using var scratch = await ScratchAsync();
        await server.ExecuteAsync("postgres", $"DROP ROLE IF EXISTS {reporter}; CREATE ROLE {reporter} NOLOGIN INHERIT IN ROLE authenticated");
        try
        {
            await server.ExecuteAsync(scratch.Name, $"""
                CREATE FUNCTION public.document_count() RETURNS bigint LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS 'SELECT count(*) FROM public.documents';
                ALTER FUNCTION public.document_count() OWNER TO {reporter}
                """);

            var extra = await scratch.AsAppAsync("authenticated", "SELECT public.document_count() - (SELECT count(*) FROM public.documents)");
            var findings = await scratch.AuditAsync();

            Assert.Equal(0, extra);
            Assert.Empty(findings);
        }
        finally
        {
            await server.ExecuteAsync(scratch.Name, "DROP FUNCTION IF EXISTS public.document_count()");
            await server.ExecuteAsync("postgres", $"DROP ROLE IF EXISTS {reporter}");
        }
    }

    [Fact]
    public async Task AuditDatabaseAsync_TableOwnerReachableThroughMembership_IsReportedAndRevoked()
    {
        var ops = $"{Prefix}_ops";
        await server.ExecuteAsync("postgres", $"DROP ROLE IF EXISTS {ops}; CREATE ROLE {ops} NOLOGIN");
        try
        {
            await using var scratch = await ScratchAsync();

            // As the owner, the serving role switches FORCE off and reads every tenant's usage.
            var finding = await DrillAsync(scratch, $"ALTER TABLE public.usage_events OWNER TO {ops}; GRANT {ops} TO {Prefix}_app",
                () => scratch.AsAppAsync(ops, "ALTER TABLE public.usage_events NO FORCE ROW LEVEL SECURITY", "SELECT count(*) FROM public.usage_events WHERE tenant_id <> 'acme'"),
                AuditRules.ServingRoleOwnsTable, ".public.usage_events");

            Assert.Equal($"REVOKE \"{ops}\" FROM \"{Prefix}_app\";", finding.Fix);
        }
        finally
        {
            await server.ExecuteAsync("postgres", $"DROP ROLE IF EXISTS {ops}");
        }
    }

    [Fact]
    public async Task AuditDatabaseAsync_CreateOnSchemaPublic_PlantsCodeTheAdminRunsAndIsRevoked()
    {
        await using var scratch = await ScratchAsync();

        // lower(varchar) in public is a closer match than pg_catalog's lower(text): the admin's own query runs the tenant's code.
        async Task<long?> PlantedAsync()
        {
            if (await scratch.AsAppAsync(commit: true, "authenticated", "CREATE FUNCTION public.lower(character varying) RETURNS text LANGUAGE sql AS 'SELECT ''planted'''") is null)
            {
                return null;
            }

            var shadowed = await scratch.AsAdminAsync("SELECT lower('ABC'::varchar) = 'planted'");
            await server.ExecuteAsync(scratch.Name, "DROP FUNCTION public.lower(character varying)");
            return shadowed;
        }

        await DrillAsync(scratch, "GRANT CREATE ON SCHEMA public TO authenticated", PlantedAsync, AuditRules.SchemaCreate, ".public");
    }

    [Fact]
    public async Task AuditDatabaseAsync_CreateOnSchemaAuth_BreaksTheAppsQueriesAndIsRevoked()
    {
        await using var scratch = await ScratchAsync();

        // An overload of auth.user_id() makes the application's "(SELECT auth.user_id())" ambiguous in every session.
        async Task<long?> PlantedAsync()
        {
            if (await scratch.AsAppAsync(commit: true, "authenticated", "CREATE FUNCTION auth.user_id(hint text DEFAULT NULL) RETURNS text LANGUAGE sql AS 'SELECT ''bob'''") is null)
            {
                return null;
            }

            var ambiguous = 0;
            try
            {
                await server.ScalarAsync<string>(scratch.Name, "SELECT auth.user_id()");
            }
            catch (Npgsql.PostgresException ex) when (ex.SqlState == Npgsql.PostgresErrorCodes.AmbiguousFunction)
            {
                ambiguous = 1;
            }

            await server.ExecuteAsync(scratch.Name, "DROP FUNCTION auth.user_id(text)");
            return ambiguous;
        }

        await DrillAsync(scratch, "GRANT CREATE ON SCHEMA auth TO authenticated", PlantedAsync, AuditRules.SchemaCreate, ".auth");
    }

    private Task<AuditScratch> ScratchAsync() => AuditScratch.CreateAsync(server, Prefix);

    private Task<AuditFinding> DrillAsync(AuditScratch scratch, string breakSql, Func<Task<long?>> leak, string rule, string objectSuffix) =>
        AuditDrill.ProveCatchAndFixAsync(server, scratch.Name, breakSql, leak, scratch.AuditAsync, rule, objectSuffix);
}
