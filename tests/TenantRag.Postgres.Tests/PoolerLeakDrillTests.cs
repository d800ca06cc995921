using Npgsql;
using TenantRag.Postgres.Drills;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Postgres.Tests;

/// <summary>
/// The leak drills through a real PgBouncer in transaction mode in front of the shared database
/// (<c>Database:PoolerUrl</c>): the session-level <c>SET</c> many RLS guides show leaks to the next client, TenantRag's
/// transaction-local tenant sessions do not, and every shared-model drill still passes through the pooler.
/// </summary>
[Trait("Category", "Isolation")]
public sealed class PoolerLeakDrillTests(PostgresServer server)
{
    private const string Prefix = "t_pooler";

    [Fact]
    public async Task SessionSetThroughPoolerAsync_NaiveSessionSet_LeaksToNextClient()
    {
        await using var pooler = await PgBouncerServer.StartAsync(server, Prefix);
        await using var database = await server.OpenInstallationAsync(Prefix, o => o.PoolerUrl = pooler.Address);
        var subject = await LeakDrillTests.SeedAsync(database, TenancyMode.Shared);

        var result = await new LeakDrills(database).SessionSetThroughPoolerAsync(subject, TestContext.Current.CancellationToken);

        Assert.False(result.Passed, result.Observed);
        Assert.StartsWith("leaked:", result.Observed, StringComparison.Ordinal);
        Assert.Contains($"read app.current_tenant_id = '{subject.Tenant.Id}'", result.Observed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TenantSessionsThroughPoolerAsync_AfterTheNaiveLeak_NothingCarriesOver()
    {
        await using var pooler = await PgBouncerServer.StartAsync(server, Prefix);
        await using var database = await server.OpenInstallationAsync(Prefix, o => o.PoolerUrl = pooler.Address);
        var subject = await LeakDrillTests.SeedAsync(database, TenancyMode.Shared);
        var drills = new LeakDrills(database);

        var results = await drills.RunPoolerAsync(subject, TestContext.Current.CancellationToken);

        Assert.Equal(["pooler-session-set", "pooler-tenant-sessions"], results.Select(r => r.Name));
        Assert.False(results[0].Passed, results[0].Observed);
        Assert.True(results[1].Passed, results[1].Observed);
        Assert.Contains("sees 1 own rows, 0 foreign rows and 0 of", results[1].Observed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_SharedModelThroughPooler_EveryDrillPassesOverPooledServerConnections()
    {
        await using var pooler = await PgBouncerServer.StartAsync(server, Prefix);
        await using var database = await server.OpenInstallationAsync(Prefix, o => o.PoolerUrl = pooler.Address);
        var subject = await LeakDrillTests.SeedAsync(database, TenancyMode.Shared);

        var results = await new LeakDrills(database).RunAsync(subject, TestContext.Current.CancellationToken);

        Assert.All(results, r => Assert.True(r.Passed, $"{r.Name}: {r.Observed}"));
        // The serving role's shared connections really go through PgBouncer: with it stopped, they cannot connect.
        await pooler.DisposeAsync();
        var direct = new NpgsqlConnectionStringBuilder(database.Installation.AppConnectionString(subject.Tenant.Database, 1)) { Pooling = false };
        await using var connection = new NpgsqlConnection(direct.ConnectionString);
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => connection.OpenAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public void AppConnectionString_PoolerUrl_RoutesOnlyTheSharedDatabase()
    {
        var installation = new Postgres.Installation.Installation(server.Endpoint, server.Secrets,
            new Postgres.Installation.TenancyOptions { Prefix = Prefix, PoolerUrl = "127.0.0.1:6999" });
        var names = installation.Names;

        Assert.Contains("Port=6999", installation.AppConnectionString(names.Shared, 4), StringComparison.Ordinal);
        Assert.DoesNotContain("Port=6999", installation.AppConnectionString(names.Catalog, 4), StringComparison.Ordinal);
        Assert.DoesNotContain("Port=6999", installation.AdminConnectionString(names.Shared), StringComparison.Ordinal);
        Assert.DoesNotContain("Port=6999", installation.DedicatedConnectionString(TenantSlug.Parse("acme-docs")), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("6432")]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.1:0")]
    [InlineData("127.0.0.1:70000")]
    [InlineData("bad host:6432")]
    public void Validate_MalformedPoolerUrl_NamesTheSetting(string url)
    {
        var options = new Postgres.Installation.TenancyOptions { PoolerUrl = url };

        var error = Assert.Throws<UsageException>(options.Validate);

        Assert.Contains("Database:PoolerUrl", error.Message, StringComparison.Ordinal);
    }
}
