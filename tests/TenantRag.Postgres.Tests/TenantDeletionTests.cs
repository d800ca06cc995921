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
    public async Task DeleteAsync_SharedTenant_LeavesNoRowAndRecreatedTenantGetsANewerVersion()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var database = await server.OpenInstallationAsync("t_del");
        var slug = Slugs.Unique("again");
        var shared = database.Installation.Names.Shared;
        await database.Catalog.CreateAsync(slug, TenancyMode.Shared, ct);
        var ids = await TenantRows.InsertDocumentsAsync(database, slug, "doc");
        await TenantRows.InsertChunksAsync(database, slug, ids[0], 3);
        var versionBefore = await server.ScalarAsync<long>(shared, "SELECT version FROM tenant_data_versions WHERE tenant_id = $1", slug.Value);

        await database.Catalog.DeleteAsync(slug, ct);
        var leftovers = await server.ScalarAsync<long>(shared, """
            SELECT (SELECT count(*) FROM documents WHERE tenant_id = $1) + (SELECT count(*) FROM chunks WHERE tenant_id = $1)
                 + (SELECT count(*) FROM tenant_data_versions WHERE tenant_id = $1) + (SELECT count(*) FROM tenant_usage WHERE tenant_id = $1)
            """, slug.Value);
        await database.Catalog.CreateAsync(slug, TenancyMode.Shared, ct);
        var newIds = await TenantRows.InsertDocumentsAsync(database, slug, "doc");
        await TenantRows.InsertChunksAsync(database, slug, newIds[0], 1);
        var versionAfter = await server.ScalarAsync<long>(shared, "SELECT version FROM tenant_data_versions WHERE tenant_id = $1", slug.Value);

        Assert.Equal(0, leftovers);
        Assert.True(versionAfter > versionBefore, $"version {versionAfter} after re-creation must exceed {versionBefore}");
    }

    [Fact]
    public void InstallationNames_PrefixWithTrailingNewline_IsRejected()
    {
        Assert.Throws<ConfigurationException>(() => new InstallationNames("abc\n"));
    }
}
