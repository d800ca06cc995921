using TenantRag.Postgres.Audit;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Postgres.Tests;

/// <summary>
/// <c>audit</c> reports what deleted tenants left behind (the attack: a delete racing uploads left acknowledged rows and
/// usage counters that the next owner of the slug read, and the audit said "no findings"), and each finding's SQL
/// removes it.
/// </summary>
[Trait("Category", "Isolation")]
public sealed class LeftoverAuditTests(PostgresServer server)
{
    private const string Prefix = "t_left";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AuditAsync_RowsCountersAndVersionsOfATenantTheCatalogNoLongerHas_AreReportedAndTheFixesRemoveThem()
    {
        await using var database = await server.OpenInstallationAsync(Prefix);
        var gone = await database.Catalog.CreateAsync(Slugs.Unique("gone"), TenancyMode.Shared, Ct);
        var kept = await database.Catalog.CreateAsync(Slugs.Unique("kept"), TenancyMode.Shared, Ct);
        foreach (var tenant in new[] { gone, kept })
        {
            var documents = await TenantRows.InsertDocumentsAsync(database, tenant.Slug, "plan", "notes");
            await TenantRows.InsertChunksAsync(database, tenant.Slug, documents[0], 3);
            for (var query = 0; query < 4; query++)
            {
                await database.Usage.RecordQueryAsync(TenantContext.For(tenant.Slug, UserId.Parse("alice")), 10, 0, Ct);
            }
        }

        // What the racing delete did: the tenant left the catalog while rows of it stayed behind.
        await server.ExecuteAsync(database.Installation.Names.Catalog, "DELETE FROM tenantrag.tenants WHERE id = $1", gone.Id);

        var findings = await new IsolationAuditor(database).AuditAsync(Ct);

        var shared = database.Installation.Names.Shared;
        Assert.Equal(
            [
                (AuditRules.OrphanedRows, $"{shared}.public.chunks"),
                (AuditRules.OrphanedRows, $"{shared}.public.documents"),
                (AuditRules.OrphanedRows, $"{shared}.public.tenant_data_versions"),
                (AuditRules.OrphanedRows, $"{shared}.public.usage_events"),
                (AuditRules.RegistryOrphan, $"{shared}.tenantrag.tenant_registry {gone.Id}"),
            ],
            findings.Select(f => (f.Rule, f.Object)).Order());
        Assert.All(findings.Where(f => f.Rule == AuditRules.OrphanedRows), f => Assert.Contains(gone.Id, f.Message, StringComparison.Ordinal));
        Assert.Contains("2 rows", Assert.Single(findings, f => f.Object.EndsWith("documents", StringComparison.Ordinal)).Message, StringComparison.Ordinal);
        Assert.Contains("usage counters", Assert.Single(findings, f => f.Object.EndsWith("usage_events", StringComparison.Ordinal)).Message, StringComparison.Ordinal);

        foreach (var finding in findings)
        {
            await server.ExecuteAsync(shared, finding.Fix);
        }

        Assert.Empty(await new IsolationAuditor(database).AuditAsync(Ct));
        Assert.Equal(2L, await server.ScalarAsync<long>(shared, "SELECT count(*) FROM documents WHERE tenant_id = $1", kept.Id));
        Assert.Equal(4L, await server.ScalarAsync<long>(shared, "SELECT sum(queries)::bigint FROM usage_events WHERE tenant_id = $1", kept.Id));
    }

    [Fact]
    public async Task AuditAsync_LiveTenantMissingFromTheRegistry_IsReportedAndTheFixLetsItWriteAgain()
    {
        await using var database = await server.OpenInstallationAsync(Prefix);
        var tenant = await database.Catalog.CreateAsync(Slugs.Unique("unreg"), TenancyMode.Dedicated, Ct);
        await server.ExecuteAsync(tenant.Database, "DELETE FROM tenantrag.tenant_registry WHERE id = $1", tenant.Id);
        var refused = await Assert.ThrowsAsync<TenantNotFoundException>(() => database.Usage.RecordQueryAsync(TenantContext.For(tenant.Slug, UserId.Parse("alice")), 1, 1, Ct));

        var finding = Assert.Single(await new IsolationAuditor(database).AuditAsync(Ct));
        await server.ExecuteAsync(tenant.Database, finding.Fix);

        Assert.Equal(tenant.Slug, refused.Slug);
        Assert.Equal(AuditRules.RegistryMissing, finding.Rule);
        Assert.Empty(await new IsolationAuditor(database).AuditAsync(Ct));
        await database.Usage.RecordQueryAsync(TenantContext.For(tenant.Slug, UserId.Parse("alice")), 1, 1, Ct);
    }

    [Fact]
    public async Task AuditAsync_DeleteThatStoppedHalfWay_IsReportedUntilTheDeleteIsRunAgain()
    {
        await using var database = await server.OpenInstallationAsync(Prefix);
        var tenant = await database.Catalog.CreateAsync(Slugs.Unique("half"), TenancyMode.Shared, Ct);
        await TenantRows.InsertDocumentsAsync(database, tenant.Slug, "still here");
        await server.ExecuteAsync(database.Installation.Names.Catalog, "UPDATE tenantrag.tenants SET status = 'deleting' WHERE id = $1", tenant.Id);

        var finding = Assert.Single(await new IsolationAuditor(database).AuditAsync(Ct));
        var deletion = await database.Catalog.DeleteAsync(tenant.Slug, Ct);

        Assert.Equal((AuditRules.DeletionUnfinished, $"tenant {tenant.Slug}"), (finding.Rule, finding.Object));
        Assert.Contains($"tenantrag tenant delete {tenant.Slug}", finding.Fix, StringComparison.Ordinal);
        Assert.Equal(1, deletion.Documents);
        Assert.Empty(await new IsolationAuditor(database).AuditAsync(Ct));
    }
}
