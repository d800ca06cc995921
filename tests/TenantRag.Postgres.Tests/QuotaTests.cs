using System.Text.Json;
using Npgsql;
using TenantRag.Documents;
using TenantRag.Postgres.Documents;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Postgres.Tests;

/// <summary>
/// Issue 15, item 3, in the database: the transaction that stores a document checks the tenant's storage quotas after
/// taking its turn, so two stores racing past every earlier check cannot both get in, whoever the users are (a
/// colleague's private documents count too); and a quota set in the catalog is audited and reaches the sessions.
/// </summary>
public sealed class QuotaTests(PostgresServer server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(TenancyMode.Shared)]
    [InlineData(TenancyMode.Dedicated)]
    public async Task TwoStores_RacingPastTheByteQuota_TheSecondWaitsAndIsRefused(TenancyMode mode)
    {
        await using var database = await server.OpenInstallationAsync("p_quota");
        var tenant = await database.Catalog.CreateAsync(Slugs.Unique("race"), mode, Ct);
        await database.Catalog.SetQuotasAsync(tenant.Slug, new Dictionary<TenantQuota, long?> { [TenantQuota.MaxBytes] = 1500 }, Ct);

        // Alice's private document, not yet committed; Bob's store (which cannot see it) starts meanwhile.
        await using var alice = await database.Sessions.OpenSessionAsync(TenantContext.For(tenant.Slug, UserId.Parse("alice")), Ct);
        await ChunkStore.StoreAsync(alice, Document("alice.md", 1000, DocumentVisibility.Private), [], null, Ct);
        await using var bob = await database.Sessions.OpenSessionAsync(TenantContext.For(tenant.Slug, UserId.Parse("bob")), Ct);
        var bobStore = Task.Run(() => ChunkStore.StoreAsync(bob, Document("bob.md", 1000, DocumentVisibility.Tenant), [], null, Ct), Ct);
        await Task.Delay(500, Ct);
        var waited = !bobStore.IsCompleted;
        await alice.CommitAsync(Ct);
        var refused = await Assert.ThrowsAsync<PostgresException>(() => bobStore);

        Assert.True(waited, "the second store did not wait for the first");
        Assert.Equal("TQ001", refused.SqlState);
        Assert.Equal("tenant quota exceeded: max_bytes limit=1500 used=1000 adding=1000", refused.MessageText);
        Assert.Equal(1000L, await server.ScalarAsync<long>(tenant.Database, "SELECT sum(byte_size)::bigint FROM documents WHERE tenant_id = $1", tenant.Id));
    }

    [Theory]
    [InlineData(TenancyMode.Shared)]
    [InlineData(TenancyMode.Dedicated)]
    public async Task Store_ThroughTheRepositoryOverDocumentQuota_QuotaExceededAndNothingWritten(TenancyMode mode)
    {
        await using var database = await server.OpenInstallationAsync("p_quota");
        var tenant = await database.Catalog.CreateAsync(Slugs.Unique("repo"), mode, Ct);
        await database.Catalog.SetQuotasAsync(tenant.Slug, new Dictionary<TenantQuota, long?> { [TenantQuota.MaxDocuments] = 1 }, Ct);
        var alice = TenantContext.For(tenant.Slug, UserId.Parse("alice"));
        await database.Documents.StoreAsync(alice, Document("one.md", 10, DocumentVisibility.Private), [Chunk()], null, Ct);

        var refused = await Assert.ThrowsAsync<QuotaExceededException>(() =>
            database.Documents.StoreAsync(TenantContext.For(tenant.Slug, UserId.Parse("bob")), Document("two.md", 10, DocumentVisibility.Tenant), [Chunk()], null, Ct));

        Assert.Equal((TenantQuota.MaxDocuments, 1L, 1L, 1L), (refused.Quota, refused.Limit, refused.Used, refused.Requested));
        Assert.Equal(1, refused.ExitCode);
        Assert.StartsWith($"tenant '{tenant.Slug}' is over its quota max-documents of 1 documents", refused.Message, StringComparison.Ordinal);
        Assert.Equal(1L, await server.ScalarAsync<long>(tenant.Database, "SELECT count(*) FROM documents WHERE tenant_id = $1", tenant.Id));
        Assert.Equal(1L, await server.ScalarAsync<long>(tenant.Database, "SELECT count(*) FROM chunks WHERE tenant_id = $1", tenant.Id));
    }

    [Fact]
    public async Task SetQuotas_ChangesOnlyTheNamedOnes_AuditedAndCarriedBySessions()
    {
        await using var database = await server.OpenInstallationAsync("p_quota");
        var tenant = await database.Catalog.CreateAsync(Slugs.Unique("set"), TenancyMode.Shared, Ct);

        await database.Catalog.SetQuotasAsync(tenant.Slug, new Dictionary<TenantQuota, long?> { [TenantQuota.MaxBytes] = 10_000, [TenantQuota.MaxDocuments] = 5 }, Ct);
        var after = await database.Catalog.SetQuotasAsync(tenant.Slug, new Dictionary<TenantQuota, long?> { [TenantQuota.MaxDocuments] = null, [TenantQuota.MaxQueriesPerDay] = 0 }, Ct);
        await using var session = await database.Sessions.OpenSessionAsync(TenantContext.For(tenant.Slug, UserId.Parse("alice")), Ct);
        await using var setting = session.CreateCommand("SELECT current_setting('tenantrag.quotas')");
        var carried = (string)(await setting.ExecuteScalarAsync(Ct))!;
        var audit = await server.QueryAsync(database.Installation.Names.Catalog,
            "SELECT details::text FROM tenantrag.audit_log WHERE action = 'tenant.set' AND tenant_id = $1 ORDER BY id", tenant.Id);

        Assert.Equal(new TenantQuotas { MaxBytes = 10_000, MaxQueriesPerDay = 0 }, after.Quotas);
        Assert.Equal(after.Quotas, (await database.Catalog.FindAsync(tenant.Slug, Ct))!.Quotas);
        Assert.Equal("""{"max_bytes":10000,"max_queries_per_day":0}""", carried);
        Assert.Equal(2, audit.Count);
        var last = JsonDocument.Parse((string)audit[1][0]!).RootElement;
        Assert.Equal(10_000, last.GetProperty("quotas").GetProperty("max_bytes").GetInt64());
        Assert.Equal(5, last.GetProperty("before").GetProperty("max_documents").GetInt64());
        Assert.False(last.GetProperty("quotas").TryGetProperty("max_documents", out _));
    }

    [Theory]
    [InlineData(TenantQuota.MaxBytes, "10MB", 10_000_000L)]
    [InlineData(TenantQuota.MaxBytes, "1GiB", 1_073_741_824L)]
    [InlineData(TenantQuota.MaxBytes, "500 kB", 500_000L)]
    [InlineData(TenantQuota.MaxBytes, "0", 0L)]
    [InlineData(TenantQuota.MaxQueriesPerDay, "1000", 1000L)]
    [InlineData(TenantQuota.MaxDocuments, "NONE", null)]
    public void ParseLimit_GoodValues_Read(TenantQuota quota, string text, long? expected) =>
        Assert.Equal(expected, TenantQuotas.ParseLimit(quota, text));

    [Theory]
    [InlineData(TenantQuota.MaxBytes, "-1")]
    [InlineData(TenantQuota.MaxBytes, "1.5GB")]
    [InlineData(TenantQuota.MaxBytes, "10 XB")]
    [InlineData(TenantQuota.MaxBytes, "9007199254740992")]
    [InlineData(TenantQuota.MaxBytes, "9000TiB")]
    [InlineData(TenantQuota.MaxDocuments, "10MB")]
    [InlineData(TenantQuota.MaxQueriesPerDay, "")]
    [InlineData(TenantQuota.MaxQueriesPerDay, "١٢")]
    [InlineData(TenantQuota.MaxConcurrentUploads, "2 uploads")]
    public void ParseLimit_BadValues_RefusedNamingTheOption(TenantQuota quota, string text)
    {
        var refused = Assert.Throws<UsageException>(() => TenantQuotas.ParseLimit(quota, text));

        Assert.Equal(2, refused.ExitCode);
        Assert.StartsWith("--" + quota.ToName() + " '", refused.Message, StringComparison.Ordinal);
        Assert.EndsWith("nothing was changed", refused.Message, StringComparison.Ordinal);
    }

    private static NewDocument Document(string source, long bytes, DocumentVisibility visibility) => new()
    {
        Title = source,
        Source = source,
        ContentHash = source,
        ByteSize = bytes,
        Text = "text of " + source,
        Visibility = visibility,
    };

    private static NewChunk Chunk() => new() { Ordinal = 0, Heading = "h", Content = "some words", TokenCount = 2, ContentHash = "c" };
}
