using Npgsql;
using TenantRag.Documents;
using TenantRag.Postgres.Documents;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Postgres.Tests;

/// <summary>
/// Metering (issue 15 item 2) against a real PostgreSQL, in both models: what is stored is counted in the transaction
/// that stores it (and not at all when that rolls back), queries one event each, a tenant's events are its own under
/// row-level security, and the roll-up of past days neither loses nor doubles anything, however many run at once.
/// </summary>
public sealed class UsageMeteringTests(PostgresServer server)
{
    private const string Prefix = "t_meter";

    private static readonly EmbeddingModel Model = new("test-model", 4);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // Usage events of a tenant dated daysAgo UTC days back, as a day of work leaves them; each 1 document, 2 chunks, 100
    // bytes, 3 queries, 40 embedding and 5 generated tokens.
    private Task AddPastEventsAsync(TenantInfo tenant, int daysAgo, int count) => server.ExecuteAsync(tenant.Database, """
        INSERT INTO public.usage_events (tenant_id, day, documents, chunks, bytes, queries, embedding_tokens, generated_tokens)
        SELECT $1, (now() AT TIME ZONE 'UTC')::date - $2, 1, 2, 100, 3, 40, 5 FROM generate_series(1, $3)
        """, tenant.Id, daysAgo, count);

    // The tenant's rows in usage_events or usage_daily (a table name of this class, never outside input).
    private Task<long> RowsAsync(TenantInfo tenant, string table) =>
        server.ScalarAsync<long>(tenant.Database, $"SELECT count(*) FROM {table} WHERE tenant_id = $1", tenant.Id);

    [Theory]
    [InlineData(TenancyMode.Shared)]
    [InlineData(TenancyMode.Dedicated)]
    public async Task StoreReplaceDeleteReembedAndQueries_AreCountedOnceEachAndARolledBackStoreNotAtAll(TenancyMode mode)
    {
        await using var database = await server.OpenInstallationAsync(Prefix);
        var tenant = await database.Catalog.CreateAsync(Slugs.Unique("meter"), mode, Ct);
        var alice = TenantContext.For(tenant.Slug, UserId.Parse("alice"));

        // Stored: 1 document of 120 bytes, 3 chunks of which 2 embedded (5 + 7 tokens).
        var (id, added) = await database.Documents.StoreAsync(alice, Document("a.md", "hash-1", 120), [Chunk(0, 5, true), Chunk(1, 7, true), Chunk(2, 11, false)], Model, Ct);
        var afterStore = await TodayAsync(database, alice);

        // The same content again stores nothing; a store that rolls back counts nothing.
        await database.Documents.StoreAsync(alice, Document("a.md", "hash-1", 120), [Chunk(0, 5, true)], Model, Ct);
        await using (var session = await database.Sessions.OpenSessionAsync(alice, Ct))
        {
            await ChunkStore.StoreAsync(session, Document("b.md", "hash-b", 999), [Chunk(0, 50, true)], Model, Ct);
        }

        var afterNothing = await TodayAsync(database, alice);

        // Replaced by 1 document of 80 bytes with 1 embedded chunk (13 tokens); then a re-embedding of it (13 more).
        var (newId, replaced) = await database.Documents.StoreAsync(alice, Document("a.md", "hash-2", 80), [Chunk(0, 13, false)], Model, Ct);
        var reembedded = await ReembedAsync(database, alice);
        var afterReplace = await TodayAsync(database, alice);

        await database.Usage.RecordQueryAsync(alice, 4, 0, Ct);
        await database.Usage.RecordQueryAsync(alice, 6, 21, Ct);
        var deleted = await database.Documents.DeleteAsync(alice, newId, Ct);
        var afterDelete = await TodayAsync(database, alice);
        var usage = await database.Usage.GetAsync(alice, null, Ct);

        Assert.Equal((StoreOutcome.Added, StoreOutcome.Replaced, true), (added, replaced, deleted));
        Assert.NotEqual(id, newId);
        Assert.Equal(1, reembedded);
        Assert.Equal((1L, 3L, 120L, 1L, 3L, 120L, 0L, 12L), Figures(afterStore));
        Assert.Equal(Figures(afterStore), Figures(afterNothing));
        Assert.Equal((1L, 1L, 80L, 1L, 1L, 80L, 0L, 12L + 13L), Figures(afterReplace));
        Assert.Equal((0L, 0L, 0L, 0L, 0L, 0L, 2L, 12L + 13L + 4L + 6L), Figures(afterDelete));
        Assert.Equal(21L, afterDelete.GeneratedTokens);
        Assert.Equal((2L, 35L + 21L, 35L, 21L), (usage.Queries, usage.Tokens, usage.EmbeddingTokens, usage.GeneratedTokens));
        Assert.Equal((0L, 0L, 0L), (usage.Documents, usage.Chunks, usage.Bytes));
        await AssertCountedIsStoredAsync(tenant);
    }

    [Fact]
    [Trait("Category", "Isolation")]
    public async Task UsageEvents_OfAnotherTenant_CannotBeReadWrittenChangedOrRemovedBySessions()
    {
        await using var database = await server.OpenInstallationAsync(Prefix);
        var mine = await database.Catalog.CreateAsync(Slugs.Unique("meme"), TenancyMode.Shared, Ct);
        var theirs = await database.Catalog.CreateAsync(Slugs.Unique("them"), TenancyMode.Shared, Ct);
        await database.Usage.RecordQueryAsync(TenantContext.For(theirs.Slug, UserId.Parse("eve")), 9, 0, Ct);
        await database.Usage.RecordQueryAsync(TenantContext.For(mine.Slug, UserId.Parse("alice")), 3, 0, Ct);
        var alice = TenantContext.For(mine.Slug, UserId.Parse("alice"));

        // Without the WHERE clause a query would add: the policies filter every row of another tenant.
        var seen = await AsSessionAsync(database, alice, "SELECT count(*) FROM public.usage_events");
        var seenDaily = await AsSessionAsync(database, alice, "SELECT count(*) FROM public.usage_daily");
        var refused = new List<string?>();
        foreach (var sql in new[]
        {
            $"INSERT INTO public.usage_events (tenant_id, queries) VALUES ('{theirs.Id}', 1)",
            "UPDATE public.usage_events SET queries = 0",
            "DELETE FROM public.usage_events",
            "TRUNCATE public.usage_events",
            $"INSERT INTO public.usage_daily (tenant_id, day, queries) VALUES ('{mine.Id}', '2000-01-01', 1000)",
            "UPDATE public.usage_daily SET queries = 0",
        })
        {
            refused.Add((await Assert.ThrowsAsync<PostgresException>(() => AsSessionAsync(database, alice, sql))).SqlState);
        }

        Assert.Equal((1L, 0L), (seen, seenDaily));
        Assert.All(refused, state => Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, state));
        Assert.Equal(1L, await server.ScalarAsync<long>(theirs.Database, "SELECT sum(queries)::bigint FROM usage_events WHERE tenant_id = $1", theirs.Id));
        Assert.Equal(1L, await server.ScalarAsync<long>(mine.Database, "SELECT sum(queries)::bigint FROM usage_events WHERE tenant_id = $1", mine.Id));
    }

    [Theory]
    [InlineData(TenancyMode.Shared)]
    [InlineData(TenancyMode.Dedicated)]
    public async Task RollUp_ManyAtOnceAndAgain_MovesPastDaysIntoTheirDaysOnceAndSkipsAFencedTenant(TenancyMode mode)
    {
        await using var database = await server.OpenInstallationAsync(Prefix);
        var tenant = await database.Catalog.CreateAsync(Slugs.Unique("roll"), mode, Ct);
        var fenced = await database.Catalog.CreateAsync(Slugs.Unique("fenced"), mode, Ct);
        foreach (var t in new[] { tenant, fenced })
        {
            for (var day = 1; day <= 3; day++)
            {
                await AddPastEventsAsync(t, day, 50);
            }

            await database.Usage.RecordQueryAsync(TenantContext.For(t.Slug, UserId.Parse("alice")), 7, 0, Ct);
        }

        await server.ExecuteAsync(fenced.Database, "UPDATE tenantrag.tenant_registry SET fenced_at = now() WHERE id = $1", fenced.Id);
        var before = await database.UsageLedger.ReportAsync(null, null, Ct);

        // Every serving process rolls up on its own: eight at once, then once more.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => database.UsageLedger.RollUpAsync(null, Ct), Ct)));
        await database.UsageLedger.RollUpAsync(tenant.Slug, Ct);
        var after = await database.UsageLedger.ReportAsync(null, null, Ct);
        var since = await database.UsageLedger.ReportAsync(tenant.Slug, DateOnly.FromDateTime(DateTime.UtcNow).AddDays(-1), Ct);
        await server.ExecuteAsync(fenced.Database, "UPDATE tenantrag.tenant_registry SET fenced_at = NULL WHERE id = $1", fenced.Id);

        Assert.Equal(Flatten(before), Flatten(after));
        var days = Assert.Single(after, r => r.Tenant == tenant.Slug).Days;
        Assert.Equal(4, days.Count);
        Assert.Equal((150L, 300L, 15000L), (days[^1].Documents, days[^1].Chunks, days[^1].Bytes));
        Assert.Equal([150L, 150L, 150L, 1L], days.Select(d => d.Queries));
        Assert.Equal(2, Assert.Single(since).Days.Count);
        Assert.Equal(1L, await RowsAsync(tenant, "usage_events"));
        Assert.Equal(3L, await RowsAsync(tenant, "usage_daily"));
        Assert.Equal(151L, await RowsAsync(fenced, "usage_events"));
        Assert.Equal(0L, await RowsAsync(fenced, "usage_daily"));
    }

    [Theory]
    [InlineData(TenancyMode.Shared)]
    [InlineData(TenancyMode.Dedicated)]
    public async Task RollUp_OfTenantsActiveSince_LeavesLongIdleTenantsForTheFullRound(TenancyMode mode)
    {
        await using var database = await server.OpenInstallationAsync(Prefix);
        var active = await database.Catalog.CreateAsync(Slugs.Unique("recent"), mode, Ct);
        var idle = await database.Catalog.CreateAsync(Slugs.Unique("idle"), mode, Ct);
        foreach (var t in new[] { active, idle })
        {
            await AddPastEventsAsync(t, 3, 1);
        }

        var catalog = database.Installation.Names.Catalog;
        await server.ExecuteAsync(catalog, "UPDATE tenantrag.tenants SET last_active_at = now() - interval '1 hour' WHERE id = $1", active.Id);
        await server.ExecuteAsync(catalog, "UPDATE tenantrag.tenants SET last_active_at = now() - interval '3 days' WHERE id = $1", idle.Id);

        await database.UsageLedger.RollUpAsync(null, DateTimeOffset.UtcNow.AddDays(-2), Ct);
        var (activeAfterHourly, idleAfterHourly) = (await RowsAsync(active, "usage_events"), await RowsAsync(idle, "usage_events"));
        await database.UsageLedger.RollUpAsync(null, null, Ct);

        Assert.Equal((0L, 1L), (activeAfterHourly, idleAfterHourly));
        Assert.Equal(0L, await RowsAsync(idle, "usage_events"));
        Assert.Equal(1L, await RowsAsync(idle, "usage_daily"));
    }

    [Fact]
    public async Task RecordQuery_InADatabaseTheTenantLeft_IsRefusedThereAndNeverWrittenThere()
    {
        // What the mover does once the catalog names the target: the source's registry entry is marked left. A process
        // whose routing still names the source has its query event refused there, and looks the tenant up again (here
        // the catalog still names the source, so the tenant is not found; MoveTests shows the event reaching the target).
        await using var database = await server.OpenInstallationAsync(Prefix);
        var tenant = await database.Catalog.CreateAsync(Slugs.Unique("left"), TenancyMode.Shared, Ct);
        var alice = TenantContext.For(tenant.Slug, UserId.Parse("alice"));
        await database.Usage.RecordQueryAsync(alice, 1, 0, Ct);
        await server.ExecuteAsync(tenant.Database, "UPDATE tenantrag.tenant_registry SET left_at = now() WHERE id = $1", tenant.Id);

        var refused = await Record.ExceptionAsync(() => database.Usage.RecordQueryAsync(alice, 2, 0, Ct));
        var search = await database.Documents.ListAsync(alice, Ct);

        Assert.IsType<TenantNotFoundException>(refused);
        Assert.Empty(search);
        Assert.Equal(1L, await server.ScalarAsync<long>(tenant.Database, "SELECT count(*) FROM usage_events WHERE tenant_id = $1", tenant.Id));
        await server.ExecuteAsync(tenant.Database, "UPDATE tenantrag.tenant_registry SET left_at = NULL WHERE id = $1", tenant.Id);
    }

    private static NewDocument Document(string source, string hash, long bytes) => new()
    {
        Title = source,
        Source = source,
        ContentHash = hash,
        ContentType = "text/markdown",
        ByteSize = bytes,
        Text = "text",
        Visibility = DocumentVisibility.Tenant,
    };

    private static NewChunk Chunk(int ordinal, int tokens, bool embedded) => new()
    {
        Ordinal = ordinal,
        Heading = "h",
        Content = "chunk " + ordinal,
        TokenCount = tokens,
        ContentHash = "c" + ordinal,
        Embedding = embedded ? new ReadOnlyMemory<float>([1, 0, 0, 0]) : (ReadOnlyMemory<float>?)null,
    };

    // Gives every chunk of alice's without a vector one; returns how many were re-embedded.
    private static async Task<int> ReembedAsync(TenantRagDatabase database, TenantContext alice)
    {
        var reembed = new PostgresReembedStore(database);
        var chunks = await reembed.ChunksToReembedAsync(alice, Model, 0, 100, Ct);
        return await reembed.StoreEmbeddingsAsync(alice, Model, [.. chunks.Select(c => (c.Id, (ReadOnlyMemory<float>)new float[] { 0, 1, 0, 0 }, "r" + c.Id))], Ct);
    }

    private static async Task<UsageDay> TodayAsync(TenantRagDatabase database, TenantContext context) =>
        (await database.Usage.GetAsync(context, null, Ct)).Days.Single();

    // Stored at the end of the day and the day's changes, queries and embedding tokens.
    private static (long, long, long, long, long, long, long, long) Figures(UsageDay d) =>
        (d.Documents, d.Chunks, d.Bytes, d.DocumentsChange, d.ChunksChange, d.BytesChange, d.Queries, d.EmbeddingTokens);

    private static List<string> Flatten(IReadOnlyList<Usage.TenantUsageReport> reports) =>
        [.. reports.SelectMany(r => r.Days.Select(d => $"{r.Tenant} {d}"))];

    // What the tenant stores is what its metered changes add up to.
    private async Task AssertCountedIsStoredAsync(TenantInfo tenant)
    {
        var stored = await server.ScalarAsync<string>(tenant.Database, """
            SELECT (SELECT count(*) FROM documents WHERE tenant_id = $1) || ' ' || (SELECT count(*) FROM chunks WHERE tenant_id = $1)
                || ' ' || (SELECT coalesce(sum(byte_size), 0) FROM documents WHERE tenant_id = $1)
            """, tenant.Id);
        var counted = await server.ScalarAsync<string>(tenant.Database, """
            SELECT coalesce(sum(documents), 0) || ' ' || coalesce(sum(chunks), 0) || ' ' || coalesce(sum(bytes), 0)
            FROM (SELECT documents, chunks, bytes FROM usage_events WHERE tenant_id = $1 UNION ALL SELECT documents, chunks, bytes FROM usage_daily WHERE tenant_id = $1) u
            """, tenant.Id);
        Assert.Equal(stored, counted);
    }

    private static async Task<long> AsSessionAsync(TenantRagDatabase database, TenantContext context, string sql)
    {
        await using var session = await database.Sessions.OpenSessionAsync(context, Ct);
        await using var cmd = session.CreateCommand(sql);
        var result = await cmd.ExecuteScalarAsync(Ct);
        await session.CommitAsync(Ct);
        return result is long count ? count : -1;
    }
}
