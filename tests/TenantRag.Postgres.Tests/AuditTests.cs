using TenantRag.Postgres.Audit;
using TenantRag.Testing;

namespace TenantRag.Postgres.Tests;

/// <summary>
/// The audit of a clean installation, and the original rules: broken on a scratch copy of the template (or, for role
/// and CONNECT rules, on this class's own installation), caught by the audit, then restored and passing again.
/// <see cref="AuditLeakTests"/> and <see cref="AuditRoleTests"/> prove that each kind of break really leaks.
/// </summary>
[Trait("Category", "Isolation")]
public sealed class AuditTests(PostgresServer server)
{
    private const string Prefix = "t_audit";

    public static TheoryData<string, string, string> DatabaseRules => new()
    {
        { AuditRules.RlsDisabled, "ALTER TABLE documents DISABLE ROW LEVEL SECURITY", "ALTER TABLE documents ENABLE ROW LEVEL SECURITY" },
        { AuditRules.RlsNotForced, "ALTER TABLE chunks NO FORCE ROW LEVEL SECURITY", "ALTER TABLE chunks FORCE ROW LEVEL SECURITY" },
        {
            AuditRules.PolicyMissing, "DROP POLICY chunks_delete ON chunks",
            "CREATE POLICY chunks_delete ON chunks FOR DELETE TO authenticated USING (tenant_id = (SELECT auth.tenant_id()) AND owner_id = (SELECT auth.user_id()))"
        },
        { AuditRules.PolicyAlwaysTrue, "CREATE POLICY leak ON documents FOR SELECT TO authenticated USING (true)", "DROP POLICY leak ON documents" },
        { AuditRules.PolicyWithoutTenant, "CREATE POLICY mine ON documents FOR SELECT TO authenticated USING (owner_id = (SELECT auth.user_id()))", "DROP POLICY mine ON documents" },
        { AuditRules.ServingRoleOwnsTable, $"ALTER TABLE usage_events OWNER TO {Prefix}_app", $"ALTER TABLE usage_events OWNER TO {Prefix}_admin" },
        {
            AuditRules.DefinerWithoutSearchPath,
            "CREATE FUNCTION public.peek() RETURNS bigint LANGUAGE sql SECURITY DEFINER AS 'SELECT count(*) FROM public.documents'",
            "DROP FUNCTION public.peek()"
        },
        {
            AuditRules.DefinerExecutableByAuthenticated,
            "CREATE FUNCTION public.peek() RETURNS bigint LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog AS 'SELECT count(*) FROM public.documents'",
            "DROP FUNCTION public.peek()"
        },
        { AuditRules.ViewNotSecurityInvoker, "CREATE VIEW public.all_documents AS SELECT * FROM documents; GRANT SELECT ON public.all_documents TO authenticated", "DROP VIEW public.all_documents" },
        { AuditRules.PolicyColumnUnindexed, "DROP INDEX chunks_tenant_owner_idx", "CREATE INDEX chunks_tenant_owner_idx ON chunks (tenant_id, owner_id)" },
    };

    [Fact]
    public async Task AuditAsync_CleanInstallationWithTenants_HasNoFindings()
    {
        await using var database = await server.OpenInstallationAsync(Prefix);
        await database.Catalog.CreateAsync(Slugs.Unique("clean"), TenantRag.Tenancy.TenancyMode.Dedicated, TestContext.Current.CancellationToken);
        await database.Catalog.CreateAsync(Slugs.Unique("clean"), TenantRag.Tenancy.TenancyMode.Shared, TestContext.Current.CancellationToken);

        var findings = await new IsolationAuditor(database).AuditAsync(TestContext.Current.CancellationToken);

        Assert.Empty(findings);
    }

    [Fact]
    public async Task AuditAsync_ServingRoleReadsMoreOfServersThanTheirAddress_IsCaught()
    {
        // The serving role reads where each server is (Catalog/005_server_routing.sql), and no more: a grant of the
        // bootstrap role's name or where its password is kept is a finding.
        var ct = TestContext.Current.CancellationToken;
        await using var database = await server.OpenInstallationAsync(Prefix);
        var names = database.Installation.Names;
        var auditor = new IsolationAuditor(database);
        static bool OnServers(AuditFinding f) => f.Object.EndsWith(".tenantrag.servers", StringComparison.Ordinal);

        var before = await auditor.AuditAsync(ct);
        await server.ExecuteAsync(names.Catalog, $"GRANT SELECT (username, credentials) ON tenantrag.servers TO {names.AppRole}");
        IReadOnlyList<AuditFinding> broken;
        try
        {
            broken = await auditor.AuditAsync(ct);
        }
        finally
        {
            await server.ExecuteAsync(names.Catalog, $"REVOKE SELECT (username, credentials) ON tenantrag.servers FROM {names.AppRole}");
        }

        var restored = await auditor.AuditAsync(ct);

        Assert.DoesNotContain(before, OnServers);
        var finding = Assert.Single(broken, OnServers);
        Assert.Equal(AuditRules.RelationUnfiltered, finding.Rule);
        Assert.Contains("credentials", finding.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(restored, OnServers);
    }

    [Theory]
    [MemberData(nameof(DatabaseRules))]
    public async Task AuditDatabaseAsync_RuleBroken_IsCaughtAndPassesWhenRestored(string rule, string breakSql, string restoreSql)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var database = await server.OpenInstallationAsync(Prefix);
        var scratch = $"{Prefix}_scr_{Slugs.RandomLetters(8)}";
        await server.ExecuteAsync("postgres", $"CREATE DATABASE \"{scratch}\" TEMPLATE \"{database.Installation.Names.Template}\" OWNER \"{database.Installation.Names.AdminRole}\"");
        try
        {
            var auditor = new IsolationAuditor(database);
            var before = await auditor.AuditDatabaseAsync(scratch, ct);
            await server.ExecuteAsync(scratch, breakSql);

            var broken = await auditor.AuditDatabaseAsync(scratch, ct);
            await server.ExecuteAsync(scratch, restoreSql);
            var restored = await auditor.AuditDatabaseAsync(scratch, ct);

            Assert.Empty(before);
            var finding = Assert.Single(broken, f => f.Rule == rule);
            Assert.Contains(scratch, finding.Object, StringComparison.Ordinal);
            Assert.False(string.IsNullOrWhiteSpace(finding.Message));
            Assert.False(string.IsNullOrWhiteSpace(finding.Fix));
            Assert.Empty(restored);
        }
        finally
        {
            await server.ExecuteAsync("postgres", $"DROP DATABASE IF EXISTS \"{scratch}\" WITH (FORCE)");
        }
    }

    [Fact]
    public async Task AuditDatabaseAsync_FixSqlOfAFinding_RepairsIt()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var database = await server.OpenInstallationAsync(Prefix);
        var scratch = $"{Prefix}_scr_{Slugs.RandomLetters(8)}";
        await server.ExecuteAsync("postgres", $"CREATE DATABASE \"{scratch}\" TEMPLATE \"{database.Installation.Names.Template}\" OWNER \"{database.Installation.Names.AdminRole}\"");
        try
        {
            await server.ExecuteAsync(scratch, "ALTER TABLE documents DISABLE ROW LEVEL SECURITY; ALTER TABLE documents NO FORCE ROW LEVEL SECURITY");
            var auditor = new IsolationAuditor(database);
            var broken = await auditor.AuditDatabaseAsync(scratch, ct);

            foreach (var finding in broken)
            {
                await server.ExecuteAsync(scratch, finding.Fix);
            }

            Assert.Equal([AuditRules.RlsDisabled, AuditRules.RlsNotForced], broken.Select(f => f.Rule).Order());
            Assert.Empty(await auditor.AuditDatabaseAsync(scratch, ct));
        }
        finally
        {
            await server.ExecuteAsync("postgres", $"DROP DATABASE IF EXISTS \"{scratch}\" WITH (FORCE)");
        }
    }

    [Fact]
    public async Task AuditAsync_ServingRoleBypassesRlsAndPublicConnect_AreCaughtAndPassWhenRestored()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var database = await server.OpenInstallationAsync(Prefix);
        var names = database.Installation.Names;
        var auditor = new IsolationAuditor(database);

        await server.ExecuteAsync("postgres", $"ALTER ROLE \"{names.AppRole}\" BYPASSRLS; GRANT CONNECT ON DATABASE \"{names.Shared}\" TO PUBLIC");
        IReadOnlyList<AuditFinding> broken;
        try
        {
            broken = await auditor.AuditAsync(ct);
        }
        finally
        {
            await server.ExecuteAsync("postgres", $"ALTER ROLE \"{names.AppRole}\" NOBYPASSRLS; REVOKE CONNECT ON DATABASE \"{names.Shared}\" FROM PUBLIC");
        }

        var restored = await auditor.AuditAsync(ct);

        Assert.Contains(broken, f => f.Rule == AuditRules.ServingRoleBypassesRls && f.Object == $"role {names.AppRole}");
        Assert.Contains(broken, f => f.Rule == AuditRules.PublicCanConnect && f.Object == $"database {names.Shared}");
        Assert.Empty(restored);
    }
}
