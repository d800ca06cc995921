using TenantRag.Documents;
using TenantRag.Postgres;
using TenantRag.Postgres.Documents;
using TenantRag.Postgres.Drills;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Postgres.Tests;

/// <summary>
/// Every leak drill of docs/DESIGN.md §8 in both models, plus proof that the drills can fail: with row-level security
/// switched off they report the leak.
/// </summary>
[Trait("Category", "Isolation")]
public sealed class LeakDrillTests(PostgresServer server)
{
    private static readonly string[] ExpectedDrills =
        ["no-where", "tautology", "pooled-connection-reuse", "no-context", "private-document", "foreign-tenant-insert"];

    [Theory]
    [InlineData(TenancyMode.Shared)]
    [InlineData(TenancyMode.Dedicated)]
    public async Task RunAsync_EveryDrill_Passes(TenancyMode mode)
    {
        await using var database = await server.OpenInstallationAsync("t_drill");
        var subject = await SeedAsync(database, mode);

        var results = await new LeakDrills(database).RunAsync(subject, TestContext.Current.CancellationToken);

        Assert.Equal(ExpectedDrills, results.Select(r => r.Name));
        Assert.All(results, r => Assert.Equal(mode.ToName(), r.Model));
        Assert.All(results, r => Assert.True(r.Passed, $"{r.Name}: {r.Observed}"));
    }

    [Fact]
    public async Task RunRlsDisabledAsync_ScratchDatabase_ShowsLeakThenNoneAndDropsScratch()
    {
        await using var database = await server.OpenInstallationAsync("t_drill");

        var result = await new LeakDrills(database).RunRlsDisabledAsync(TestContext.Current.CancellationToken);

        Assert.True(result.Passed, result.Observed);
        Assert.Contains("1 with RLS disabled", result.Observed, StringComparison.Ordinal);
        var scratch = await server.ScalarAsync<long>("postgres", "SELECT count(*) FROM pg_database WHERE datname LIKE 't\\_drill\\_scratch\\_%'");
        Assert.Equal(0, scratch);
        var sharedRls = await server.ScalarAsync<bool>(database.Installation.Names.Shared, "SELECT relrowsecurity FROM pg_class WHERE oid = 'public.documents'::regclass");
        Assert.True(sharedRls);
    }

    [Theory]
    [InlineData(TenancyMode.Shared)]
    [InlineData(TenancyMode.Dedicated)]
    public async Task RunAsync_RowLevelSecurityDisabled_ReportsLeak(TenancyMode mode)
    {
        // A private installation: switching RLS off on its shared database must not disturb other tests.
        await using var database = await server.OpenInstallationAsync(mode == TenancyMode.Shared ? "t_drill_off_s" : "t_drill_off_d");
        var subject = await SeedAsync(database, mode);
        await server.ExecuteAsync(subject.Tenant.Database, "ALTER TABLE public.documents DISABLE ROW LEVEL SECURITY");

        var results = await new LeakDrills(database).RunAsync(subject, TestContext.Current.CancellationToken);

        await server.ExecuteAsync(subject.Tenant.Database, "ALTER TABLE public.documents ENABLE ROW LEVEL SECURITY");
        var byName = results.ToDictionary(r => r.Name);
        Assert.False(byName["no-where"].Passed, byName["no-where"].Observed);
        Assert.False(byName["tautology"].Passed, byName["tautology"].Observed);
        Assert.False(byName["private-document"].Passed, byName["private-document"].Observed);
    }

    /// <summary>
    /// Two users in a tenant of <paramref name="mode"/>, a foreign tenant with rows, and in the dedicated model a planted
    /// foreign row; both tenants on <paramref name="server"/> of the fleet (null: where placement puts them).
    /// </summary>
    internal static async Task<DrillSubject> SeedAsync(TenantRagDatabase database, TenancyMode mode, string? server = null)
    {
        var ct = TestContext.Current.CancellationToken;
        var tenant = await database.Catalog.CreateAsync(Slugs.Unique("drill"), mode, server, ct);
        var foreign = await database.Catalog.CreateAsync(Slugs.Unique("other"), TenancyMode.Shared, server, ct);

        async Task<Guid> WriteAsync(TenantInfo t, string user, string title, DocumentVisibility visibility)
        {
            await using var session = await database.Sessions.OpenSessionAsync(TenantContext.For(t.Slug, UserId.Parse(user)), ct);
            var id = await DocumentStore.AddTextAsync(session, title, title + " text", visibility, ct);
            await session.CommitAsync(ct);
            return id;
        }

        await WriteAsync(tenant, "alice", "shared plan", DocumentVisibility.Tenant);
        await WriteAsync(tenant, "alice", "alice's own", DocumentVisibility.Private);
        var bobsPrivate = await WriteAsync(tenant, "bob", "bob's secret", DocumentVisibility.Private);
        await WriteAsync(foreign, "mallory", "foreign public", DocumentVisibility.Tenant);
        await WriteAsync(foreign, "mallory", "foreign private", DocumentVisibility.Private);
        if (mode == TenancyMode.Dedicated)
        {
            await new LeakDrills(database).PlantForeignRowAsync(tenant, foreign, "mallory", ct);
        }

        return new DrillSubject
        {
            Tenant = tenant,
            User = UserId.Parse("alice"),
            OtherUser = UserId.Parse("bob"),
            OtherUsersPrivateDocument = bobsPrivate,
            ForeignTenant = foreign,
        };
    }
}
