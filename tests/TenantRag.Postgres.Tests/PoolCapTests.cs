using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Postgres.Tests;

/// <summary>Pools add up: past <c>MaxOpenPools</c> the least recently used idle pool is closed, and its tenant still works.</summary>
public sealed class PoolCapTests(PostgresServer server)
{
    [Fact]
    public async Task OpenSession_MoreDedicatedTenantsThanMaxOpenPools_KeepsAtMostTheCapAndStillServesAll()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var database = await server.OpenInstallationAsync("t_cap", o => o.MaxOpenPools = 3);
        var tenants = new List<TenantInfo>();
        for (var i = 0; i < 5; i++)
        {
            tenants.Add(await database.Catalog.CreateAsync(Slugs.Unique("cap"), TenancyMode.Dedicated, ct));
        }

        var counts = new List<int>();
        foreach (var tenant in tenants.Concat(tenants))
        {
            await using (var session = await database.Sessions.OpenSessionAsync(TenantContext.For(tenant.Slug, UserId.Parse("u")), ct))
            await using (var cmd = session.CreateCommand("SELECT count(*) FROM documents"))
            {
                Assert.Equal(0L, await cmd.ExecuteScalarAsync(ct));
            }

            counts.Add(database.Registry.Count);
        }

        Assert.All(counts, c => Assert.InRange(c, 1, 3));
    }
}
