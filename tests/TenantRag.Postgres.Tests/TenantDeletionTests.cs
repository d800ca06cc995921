using TenantRag.Documents;
using TenantRag.Postgres.Documents;
using TenantRag.Postgres.Installation;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Postgres.Tests;

/// <summary>Deleting tenants while they are in use, and what a re-created tenant of the same slug inherits (nothing).</summary>
public sealed class TenantDeletionTests(PostgresServer server)
{
    [Fact]
    public async Task DeleteAsync_DedicatedTenantWithOpenSession_DropsDatabaseAndRole()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var database = await server.OpenInstallationAsync("t_del");
        await using var other = await server.OpenInstallationAsync("t_del");
        var tenant = await database.Catalog.CreateAsync(Slugs.Unique("busy"), TenancyMode.Dedicated, ct);
        await TenantRows.InsertDocumentsAsync(database, tenant.Slug, "one", "two");

        // Another process holds a session open on the tenant's database, as its own login role.
        await using var open = await other.Sessions.OpenSessionAsync(TenantContext.For(tenant.Slug, UserId.Parse("alice")), ct);
        var deletion = await database.Catalog.DeleteAsync(tenant.Slug, ct);

        Assert.Equal(2, deletion.Documents);
        Assert.False(await server.DatabaseExistsAsync(tenant.Database));
        Assert.False(await server.RoleExistsAsync(database.Installation.Names.DedicatedRole(tenant.Slug)));
        Assert.Null(await database.Catalog.FindAsync(tenant.Slug, ct));
    }

    [Fact]
    public async Task DeleteAsync_SharedTenant_LeavesNoRowAndRecreatedTenantGetsANewIdAndANewerVersion()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var database = await server.OpenInstallationAsync("t_del");
        var slug = Slugs.Unique("again");
        var shared = database.Installation.Names.Shared;
        var first = await database.Catalog.CreateAsync(slug, TenancyMode.Shared, ct);
        var ids = await TenantRows.InsertDocumentsAsync(database, slug, "doc");
        await TenantRows.InsertChunksAsync(database, slug, ids[0], 3);
        var versionBefore = await server.ScalarAsync<long>(shared, "SELECT version FROM tenant_data_versions WHERE tenant_id = $1", first.Id);

        await database.Catalog.DeleteAsync(slug, ct);
        var leftovers = await LeftoversAsync(shared, first);
        var second = await database.Catalog.CreateAsync(slug, TenancyMode.Shared, ct);
        var newIds = await TenantRows.InsertDocumentsAsync(database, slug, "doc");
        await TenantRows.InsertChunksAsync(database, slug, newIds[0], 1);
        var versionAfter = await server.ScalarAsync<long>(shared, "SELECT version FROM tenant_data_versions WHERE tenant_id = $1", second.Id);

        Assert.Equal(0, leftovers);
        Assert.NotEqual(first.Id, second.Id);
        Assert.True(versionAfter > versionBefore, $"version {versionAfter} after re-creation must exceed {versionBefore}");
    }

    // The attack: uploads running in the server while 'tenantrag tenant delete' runs in another process. A write in
    // flight when the delete starts must not survive it: the delete waits for it and deletes it too.
    [Fact]
    [Trait("Category", "Isolation")]
    public async Task DeleteAsync_SharedTenantWithAWriteInFlightInAnotherProcess_WaitsForItAndDeletesIt()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var deleter = await server.OpenInstallationAsync("t_del");
        await using var writer = await server.OpenInstallationAsync("t_del");
        var tenant = await deleter.Catalog.CreateAsync(Slugs.Unique("race"), TenancyMode.Shared, ct);
        var shared = deleter.Installation.Names.Shared;

        Task<TenantDeletion> deletion;
        await using (var upload = await writer.Sessions.OpenSessionAsync(TenantContext.For(tenant.Slug, UserId.Parse("alice")), ct))
        {
            await DocumentStore.AddTextAsync(upload, "in flight", "written before the delete, committed during it", DocumentVisibility.Tenant, ct);
            deletion = deleter.Catalog.DeleteAsync(tenant.Slug, ct);
            await WaitUntilAsync(async () => deletion.IsCompleted || await LockWaitsAsync(shared) > 0);
            await upload.CommitAsync(ct); // acknowledged to the uploader
        }

        var deleted = await deletion;

        Assert.Equal(1, deleted.Documents);
        Assert.Equal(0, await LeftoversAsync(shared, tenant));
        Assert.Equal(0L, await server.ScalarAsync<long>(shared, "SELECT count(*) FROM tenantrag.tenant_registry WHERE id = $1 OR slug = $2", tenant.Id, tenant.Slug.Value));
    }

    // A process whose catalog cache still holds the deleted tenant writes after the slug was taken again: the write
    // must reach neither the new tenant nor anywhere else, and the new tenant starts with nothing of the old one.
    [Theory]
    [Trait("Category", "Isolation")]
    [InlineData(TenancyMode.Shared)]
    [InlineData(TenancyMode.Dedicated)]
    public async Task Write_FromAProcessThatCachedTheDeletedTenant_IsRefusedAndTheRecreatedTenantStartsEmpty(TenancyMode mode)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var operatorView = await server.OpenInstallationAsync("t_del");
        await using var stale = await server.OpenInstallationAsync("t_del", o => o.CatalogCacheTtl = TimeSpan.FromHours(1));
        var slug = Slugs.Unique("reborn");
        var old = await operatorView.Catalog.CreateAsync(slug, mode, ct);
        var alice = TenantContext.For(slug, UserId.Parse("alice"));
        await stale.Usage.RecordQueryAsync(alice, 50, 0, ct);
        await TenantRows.InsertDocumentsAsync(stale, slug, "old tenant's document");
        var bound = await stale.Sessions.BindAsync(alice, ct);

        await operatorView.Catalog.DeleteAsync(slug, ct);
        var reborn = await operatorView.Catalog.CreateAsync(slug, mode, ct);
        var unbound = await Assert.ThrowsAsync<TenantNotFoundException>(() => stale.Usage.RecordQueryAsync(alice, 70, 0, ct));
        var boundWrite = await Assert.ThrowsAsync<TenantNotFoundException>(() => stale.Usage.RecordQueryAsync(bound, 90, 0, ct));
        var boundRead = await Assert.ThrowsAsync<TenantNotFoundException>(() => stale.Documents.ListAsync(bound, ct));

        var bob = TenantContext.For(slug, UserId.Parse("bob"));
        var usage = await operatorView.Usage.GetAsync(bob, null, ct);
        Assert.NotEqual(old.Id, reborn.Id);
        Assert.Equal(slug, unbound.Slug);
        Assert.Equal(slug, boundWrite.Slug);
        Assert.Equal(slug, boundRead.Slug);
        Assert.Equal((0L, 0L, 0L), (usage.Documents, usage.Queries, usage.Tokens));
        Assert.Empty(await operatorView.Documents.ListAsync(bob, ct));
        Assert.Equal(0, await LeftoversAsync(reborn.Database, old));
    }

    // What a deleted tenant could have left in a database: its rows, counters, data versions and registry entry.
    private Task<long> LeftoversAsync(string database, TenantInfo tenant) =>
        server.ScalarAsync<long>(database, """
            SELECT (SELECT count(*) FROM documents WHERE tenant_id IN ($1, $2)) + (SELECT count(*) FROM chunks WHERE tenant_id IN ($1, $2))
                 + (SELECT count(*) FROM tenant_data_versions WHERE tenant_id IN ($1, $2)) + (SELECT count(*) FROM usage_events WHERE tenant_id IN ($1, $2))
                 + (SELECT count(*) FROM usage_daily WHERE tenant_id IN ($1, $2))
            """, tenant.Id, tenant.Slug.Value);

    private Task<long> LockWaitsAsync(string database) =>
        server.ScalarAsync<long>("postgres", "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'", database);

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not come true within 20 s");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public void InstallationNames_PrefixWithTrailingNewline_IsRejected()
    {
        Assert.Throws<ConfigurationException>(() => new InstallationNames("abc\n"));
    }
}
