using System.Diagnostics;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Postgres.Tests;

public sealed class IdlePoolTests(PostgresServer server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Registry_DedicatedTenantIdleLongerThanTimeout_ClosesPoolAndConnections()
    {
        await using var database = await server.OpenInstallationAsync("t_idle", o => o.IdleTimeout = TimeSpan.FromSeconds(1));
        var slug = Slugs.Unique("sleepy");
        var tenant = await database.Catalog.CreateAsync(slug, TenancyMode.Dedicated, Ct);
        await using (var session = await database.Sessions.OpenSessionAsync(TenantContext.For(slug, UserId.Parse("u1")), Ct))
        {
            await using var cmd = session.CreateCommand("SELECT count(*) FROM documents");
            await cmd.ExecuteScalarAsync(Ct);
        }

        var poolsInUse = database.Registry.Count;
        var connectionsInUse = await server.CountTenantRagConnectionsAsync(tenant.Database);

        var closed = await WaitUntilAsync(async () => database.Registry.Count == 0 && await server.CountTenantRagConnectionsAsync(tenant.Database) == 0, TimeSpan.FromSeconds(10));

        Assert.True(poolsInUse >= 2, $"expected the tenant's and the catalog's pools, found {poolsInUse}");
        Assert.Equal(1, connectionsInUse);
        Assert.True(closed, $"after 10 s: {database.Registry.Count} pools, {await server.CountTenantRagConnectionsAsync(tenant.Database)} connections to {tenant.Database}");
        Assert.Equal(0, database.Registry.Count);
        Assert.Equal(0L, await server.CountTenantRagConnectionsAsync(tenant.Database));
    }

    [Fact]
    public async Task Session_AfterPoolWasClosed_OpensNewPool()
    {
        await using var database = await server.OpenInstallationAsync("t_idle", o => o.IdleTimeout = TimeSpan.FromSeconds(1));
        var slug = Slugs.Unique("waking");
        var tenant = await database.Catalog.CreateAsync(slug, TenancyMode.Dedicated, Ct);
        await TenantRows.InsertDocumentsAsync(database, slug, "before the nap");
        Assert.True(await WaitUntilAsync(() => Task.FromResult(database.Registry.Count == 0), TimeSpan.FromSeconds(10)));

        await using var session = await database.Sessions.OpenSessionAsync(TenantContext.For(slug, UserId.Parse(TenantRows.DefaultUser)), Ct);
        await using var cmd = session.CreateCommand("SELECT title FROM documents");
        var title = await cmd.ExecuteScalarAsync(Ct);

        Assert.Equal("before the nap", title);
        Assert.True(database.Registry.Count >= 1);
        Assert.Equal(1L, await server.CountTenantRagConnectionsAsync(tenant.Database));
    }

    [Fact]
    public async Task Registry_PoolInUse_IsNotClosedWhileLeased()
    {
        await using var database = await server.OpenInstallationAsync("t_idle", o => o.IdleTimeout = TimeSpan.FromSeconds(1));
        var slug = Slugs.Unique("busy");
        var tenant = await database.Catalog.CreateAsync(slug, TenancyMode.Dedicated, Ct);
        await using var session = await database.Sessions.OpenSessionAsync(TenantContext.For(slug, UserId.Parse("u1")), Ct);

        await Task.Delay(TimeSpan.FromSeconds(2.5), Ct);
        await using var cmd = session.CreateCommand("SELECT current_database()");
        var current = await cmd.ExecuteScalarAsync(Ct);

        Assert.Equal(tenant.Database, current);
        Assert.True(database.Registry.Count >= 1);
        Assert.Equal(1L, await server.CountTenantRagConnectionsAsync(tenant.Database));
    }

    private static async Task<bool> WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(250, Ct);
        }

        return await condition();
    }
}
