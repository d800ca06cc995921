using System.Diagnostics;
using TenantRag.Postgres.Audit;
using TenantRag.Postgres.Tenancy;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Postgres.Tests;

/// <summary>
/// Issue 15 item 4, the data layer: what serving processes report per tenant reaches the operator's read only while
/// the report is live, a dedicated tenant's connections are PostgreSQL's count, each tenant's connections are counted in
/// the process, and the serving role can write its presence but read nobody's holdings nor reach a tenant through it.
/// </summary>
public sealed class ServingPresenceTests(PostgresServer server)
{
    private const string Prefix = "t_presence";
    private const string AuditPrefix = "t_presaudit";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TenantHoldings_LiveReportsOfTwoProcesses_SummedPerTenant()
    {
        await using var database = await server.OpenInstallationAsync(Prefix);
        var (a, b) = (await CreateAsync(database, TenancyMode.Shared), await CreateAsync(database, TenancyMode.Shared));
        var (one, other) = (new ServingPresence(database), new ServingPresence(database));

        await one.ReportAsync(new Dictionary<string, TenantHolding> { [a.Id] = new(1000, 1), [b.Id] = new(0, 0) }, TimeSpan.FromMinutes(1), Ct);
        await other.ReportAsync(new Dictionary<string, TenantHolding> { [a.Id] = new(500, 0) }, TimeSpan.FromMinutes(1), Ct);
        var holdings = await TenantHoldings.ReadAsync(database, [a, b], Ct);
        await one.LeaveAsync(Ct);
        var afterLeave = await TenantHoldings.ReadAsync(database, [a, b], Ct);
        await other.LeaveAsync(Ct);

        Assert.Equal(new TenantHolding(1500, 1), holdings[a.Id]);
        Assert.Equal(new TenantHolding(0, 0), holdings[b.Id]);
        Assert.Equal(new TenantHolding(500, 0), afterLeave[a.Id]);
    }

    [Fact]
    public async Task TenantHoldings_ReportPastItsExpiry_NotCountedThoughItsRowStays()
    {
        await using var database = await server.OpenInstallationAsync(Prefix);
        var tenant = await CreateAsync(database, TenancyMode.Shared);
        var killed = new ServingPresence(database);
        await killed.ReportAsync(new Dictionary<string, TenantHolding> { [tenant.Id] = new(4096, 2) }, TimeSpan.FromMilliseconds(300), Ct);
        var live = await TenantHoldings.ReadAsync(database, [tenant], Ct);

        await Task.Delay(TimeSpan.FromSeconds(1), Ct);
        var expired = await TenantHoldings.ReadAsync(database, [tenant], Ct);

        Assert.Equal(new TenantHolding(4096, 2), live[tenant.Id]);
        Assert.Equal(new TenantHolding(0, 0), expired[tenant.Id]);
        Assert.Equal(1L, await server.ScalarAsync<long>(database.Installation.Names.Catalog,
            "SELECT count(*) FROM tenantrag.serving_processes WHERE id = $1 AND holdings ? $2", killed.Id, tenant.Id));
        await killed.LeaveAsync(Ct);
    }

    [Fact]
    public async Task TenantHoldings_DedicatedTenant_ConnectionsAreWhatPostgresCountsNotWhatProcessesSay()
    {
        await using var database = await server.OpenInstallationAsync(Prefix);
        var tenant = await CreateAsync(database, TenancyMode.Dedicated);
        var presence = new ServingPresence(database);
        await presence.ReportAsync(new Dictionary<string, TenantHolding> { [tenant.Id] = new(10, 7) }, TimeSpan.FromMinutes(1), Ct);
        var idle = await TenantHoldings.ReadAsync(database, [tenant], Ct);

        await using var session = await database.Sessions.OpenSessionAsync(TenantContext.For(tenant.Slug, UserId.Parse("u1")), Ct);
        var open = await TenantHoldings.ReadAsync(database, [tenant], Ct);
        await presence.LeaveAsync(Ct);

        Assert.Equal(new TenantHolding(10, 0), idle[tenant.Id]);
        Assert.Equal(new TenantHolding(10, 1), open[tenant.Id]);
    }

    [Theory]
    [InlineData(TenancyMode.Shared)]
    [InlineData(TenancyMode.Dedicated)]
    public async Task ConnectionsByTenant_SessionOpenThenIdleTimeout_CountedThenNone(TenancyMode mode)
    {
        await using var database = await server.OpenInstallationAsync(Prefix, o => o.IdleTimeout = TimeSpan.FromSeconds(1));
        var tenant = await CreateAsync(database, mode);
        var bystander = await CreateAsync(database, TenancyMode.Shared);
        Assert.False(database.Sessions.ConnectionsByTenant().ContainsKey(tenant.Id));

        int during;
        await using (var session = await database.Sessions.OpenSessionAsync(TenantContext.For(tenant.Slug, UserId.Parse("u1")), Ct))
        {
            during = database.Sessions.ConnectionsByTenant().GetValueOrDefault(tenant.Id);
        }

        // A dedicated tenant's pool keeps its connection until the pool is idle; a shared tenant's session is all it held.
        var after = database.Sessions.ConnectionsByTenant().GetValueOrDefault(tenant.Id);
        var clock = Stopwatch.StartNew();
        while (database.Sessions.ConnectionsByTenant().ContainsKey(tenant.Id) && clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(100, Ct);
        }

        Assert.Equal(1, during);
        Assert.Equal(mode == TenancyMode.Dedicated ? 1 : 0, after);
        Assert.False(database.Sessions.ConnectionsByTenant().ContainsKey(tenant.Id), $"after {clock.Elapsed} the tenant still holds connections");
        Assert.False(database.Sessions.ConnectionsByTenant().ContainsKey(bystander.Id));
    }

    [Fact]
    public async Task ServingRole_PresenceTable_WritesItsOwnRowButReadsNoHoldingsAndNoTenantThroughIt()
    {
        await using var database = await server.OpenInstallationAsync(Prefix);
        var tenant = await CreateAsync(database, TenancyMode.Shared);
        var app = database.Installation.AppConnectionString(database.Installation.Names.Catalog, 1);
        var id = Guid.NewGuid();
        string Row(string holdings) => $"INSERT INTO tenantrag.serving_processes (id, host, pid, expires_at, holdings) VALUES ('{id}', 'h', 1, now() + interval '1 minute', '{holdings}')";

        var writes = await AuditScratch.RunAsync(app, null, null, true, Row("{}"),
            $"UPDATE tenantrag.serving_processes SET holdings = '{{\"{tenant.Id}\": {{\"cacheBytes\": 1}}}}', seen_at = now() WHERE id = '{id}'",
            $"SELECT count(*) FROM tenantrag.serving_processes WHERE id = '{id}' AND expires_at > now()");
        var readsHoldings = await AuditScratch.RunAsync(app, null, null, false, "SELECT count(*) FROM tenantrag.serving_processes WHERE holdings <> '{}'");
        var readsHosts = await AuditScratch.RunAsync(app, null, null, false, "SELECT count(*) FROM tenantrag.serving_processes WHERE host = 'h'");
        var truncates = await AuditScratch.RunAsync(app, null, null, false, "TRUNCATE tenantrag.serving_processes", "SELECT 1");
        var triggers = await AuditScratch.RunAsync(app, null, null, false,
            "CREATE TRIGGER t BEFORE INSERT ON tenantrag.serving_processes FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()", "SELECT 1");
        var reroutes = await AuditScratch.RunAsync(app, null, null, false, $"UPDATE tenantrag.tenants SET database_name = 'elsewhere' WHERE id = '{tenant.Id}'", "SELECT 1");
        var findings = await new IsolationAuditor(database).AuditAsync(Ct);
        var deletes = await AuditScratch.RunAsync(app, null, null, true, $"WITH d AS (DELETE FROM tenantrag.serving_processes WHERE id = '{id}' RETURNING 1) SELECT count(*) FROM d");

        Assert.Equal(1L, writes);
        Assert.Null(readsHoldings);
        Assert.Null(readsHosts);
        Assert.Null(truncates);
        Assert.Null(triggers);
        Assert.Null(reroutes);
        Assert.Equal(1L, deletes);
        Assert.DoesNotContain(findings, f => f.Object.Contains("serving_processes", StringComparison.Ordinal));
        var notAnObject = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => AuditScratch.RunAsync(app, null, null, false, Row("[]"), "SELECT 1"));
        Assert.Equal(Npgsql.PostgresErrorCodes.CheckViolation, notAnObject.SqlState);
    }

    [Fact]
    public async Task Audit_ServingRoleMayReadEveryProcessesHoldings_IsReported()
    {
        // An installation of its own: the fix takes every grant away, which no other test should see.
        await using var database = await server.OpenInstallationAsync(AuditPrefix);
        var catalog = database.Installation.Names.Catalog;
        var app = database.Installation.AppConnectionString(catalog, 1);
        var presence = new ServingPresence(database);
        await presence.ReportAsync(new Dictionary<string, TenantHolding> { ["some-tenant"] = new(1, 0) }, TimeSpan.FromMinutes(1), Ct);
        try
        {
            var finding = await AuditDrill.ProveCatchAndFixAsync(server, catalog, $"GRANT SELECT ON tenantrag.serving_processes TO {AuditPrefix}_app",
                () => AuditScratch.RunAsync(app, null, null, false, "SELECT count(*) FROM tenantrag.serving_processes WHERE holdings <> '{}'"),
                () => new IsolationAuditor(database).AuditAsync(Ct), AuditRules.RelationUnfiltered, "tenantrag.serving_processes");

            Assert.Contains("REVOKE", finding.Fix, StringComparison.Ordinal);
        }
        finally
        {
            // What the migration grants, back again.
            await server.ExecuteAsync(catalog, $"""
                GRANT SELECT (id, expires_at), INSERT (id, host, pid, expires_at, holdings), UPDATE (seen_at, expires_at, holdings), DELETE
                    ON tenantrag.serving_processes TO {AuditPrefix}_app
                """);
            await presence.LeaveAsync(Ct);
        }
    }

    private static Task<TenantInfo> CreateAsync(TenantRagDatabase database, TenancyMode mode) =>
        database.Catalog.CreateAsync(Slugs.Unique(mode == TenancyMode.Shared ? "present" : "presentd"), mode, Ct);
}
