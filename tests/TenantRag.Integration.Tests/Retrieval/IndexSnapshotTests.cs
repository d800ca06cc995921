using Npgsql;
using TenantRag.Documents;
using TenantRag.Postgres;
using TenantRag.Rag.Retrieval;
using TenantRag.Rag.Retrieval.Search;
using TenantRag.Retrieval;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Integration.Tests.Retrieval;

/// <summary>
/// A tenant's persisted index snapshots (012_index_snapshots.sql): read by a cold search only at the tenant's current
/// data version (a write is seen by the next search), never another tenant's or another user's, ignored when damaged,
/// and deleted with the tenant.
/// </summary>
[Trait("Category", "Isolation")]
public sealed class IndexSnapshotTests(PostgresServer server)
{
    private const string Prefix = "srch_snap";
    private const string Query = "harbour boats lighthouse";

    private static readonly IndexSnapshotOptions Options = new() { MinRows = 3, Debounce = TimeSpan.Zero };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(TenancyMode.Shared)]
    [InlineData(TenancyMode.Dedicated)]
    public async Task SearchAsync_SnapshotAtCurrentVersion_IsReadAndAWriteIsSeenByTheNextSearch(TenancyMode mode)
    {
        await using var database = await server.OpenInstallationAsync(Prefix);
        await using var f = await Fixture.CreateAsync(database, mode);

        var bytes = await f.Snapshots.RebuildAsync(f.Alice, Ct);
        f.Cache.Clear();
        f.Store.Reset();
        var fromSnapshot = await f.Search.SearchAsync(f.Bob, Query, 10, cancellationToken: Ct);
        var (snapshotReads, tenantLoads) = (f.Store.SnapshotReads, f.Store.TenantLoads);
        var added = await Corpus.AddAsync(database, f.Alice, f.Embeddings, "Lighthouse", "The lighthouse keeper watches the harbour boats at night.");
        f.Cache.Clear();
        f.Store.Reset();
        var afterWrite = await f.Search.SearchAsync(f.Bob, Query, 10, cancellationToken: Ct);
        var (readsAfterWrite, loadsAfterWrite) = (f.Store.SnapshotReads, f.Store.TenantLoads);
        await f.Snapshots.WhenIdleAsync(Ct);

        Assert.True(bytes > 0);
        Assert.Equal((2, 0), (snapshotReads, tenantLoads)); // full-text and vector, neither loaded from the chunks
        Assert.Equal(f.Expected, fromSnapshot.Hits.Select(h => h.Chunk.DocumentId).Distinct().Order());
        Assert.Equal((0, 2), (readsAfterWrite, loadsAfterWrite));
        Assert.Equal(added, afterWrite.Hits[0].Chunk.DocumentId);

        // The load at the new version was stored in the background: both snapshots are at the current version again.
        Assert.Equal(2L, await server.ScalarAsync<long>(f.Tenant.Database,
            "SELECT count(*) FROM index_snapshots s JOIN tenant_data_versions v USING (tenant_id) WHERE s.tenant_id = $1 AND s.data_version = v.version", f.Tenant.Id));
    }

    [Theory]
    [InlineData(TenancyMode.Shared)]
    [InlineData(TenancyMode.Dedicated)]
    public async Task Snapshot_AnotherTenantOrUser_NeitherReadsNorWritesIt(TenancyMode mode)
    {
        await using var database = await server.OpenInstallationAsync(Prefix);
        await using var f = await Fixture.CreateAsync(database, mode);
        var neighbour = await Corpus.TenantAsync(database, TenancyMode.Shared);
        var carol = Corpus.As(neighbour, "carol");
        await f.Snapshots.RebuildAsync(f.Alice, Ct);
        var version = await server.ScalarAsync<long>(f.Tenant.Database, "SELECT version FROM tenant_data_versions WHERE tenant_id = $1", f.Tenant.Id);
        var stored = await server.ScalarAsync<long>(f.Tenant.Database, "SELECT count(*) FROM index_snapshots WHERE tenant_id = $1", f.Tenant.Id);

        byte[]? carolReads;
        await using (var session = await database.Search.OpenAsync(carol, Ct))
        {
            carolReads = await session.ReadSnapshotAsync(IndexSnapshotKey.Lexical, version, Ct);
        }

        var carolInserts = await Assert.ThrowsAsync<PostgresException>(() => database.Sessions.WriteAsync(carol, (session, token) =>
            Execute(session, "INSERT INTO public.index_snapshots (tenant_id, index_kind, data_version, row_count, bytes) VALUES ($1, 'lexical', $2, 1, '\\x00')", f.Tenant.Id, version + 1), Ct));
        var carolOverwrites = await database.Sessions.WriteAsync(carol, (session, token) =>
            Execute(session, "UPDATE public.index_snapshots SET bytes = '\\x00' WHERE tenant_id = $1", f.Tenant.Id, version), Ct);
        var alicePrivate = await Assert.ThrowsAsync<PostgresException>(() => database.Sessions.WriteAsync(f.Alice, (session, token) =>
            Execute(session, "INSERT INTO public.index_snapshots (partition, index_kind, data_version, row_count, bytes) VALUES ('private', 'lexical', $2, 1, '\\x00')", f.Tenant.Id, version), Ct));
        f.Cache.Clear();
        var bobSees = await f.Search.SearchAsync(f.Bob, "salary zebra bonus", 50, cancellationToken: Ct);
        var carolSees = await f.Search.SearchAsync(carol, Query, 50, cancellationToken: Ct);

        Assert.Equal(2, stored);
        Assert.Null(carolReads);
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, carolInserts.SqlState); // row-level security's WITH CHECK
        Assert.Equal(0, carolOverwrites);
        Assert.Equal(PostgresErrorCodes.CheckViolation, alicePrivate.SqlState); // no private partition is ever stored
        Assert.Equal(f.PublicChunks, await server.ScalarAsync<int>(f.Tenant.Database,
            "SELECT row_count FROM index_snapshots WHERE tenant_id = $1 AND index_kind = 'lexical'", f.Tenant.Id));
        Assert.DoesNotContain(f.AlicePrivate, bobSees.Hits.Select(h => h.Chunk.DocumentId));
        Assert.Empty(carolSees.Hits);
    }

    [Theory]
    [InlineData("truncated", "substring(bytes from 1 for octet_length(bytes) / 2)")]
    [InlineData("one byte flipped", "overlay(bytes placing '\\xff'::bytea from octet_length(bytes) - 10 for 1)")]
    [InlineData("not a snapshot", "'\\x0102030405'::bytea")]
    [InlineData("the other index's bytes", "(SELECT o.bytes FROM index_snapshots o WHERE o.tenant_id = index_snapshots.tenant_id AND o.index_kind <> index_snapshots.index_kind)")]
    public async Task SearchAsync_DamagedSnapshot_LoadsFromTheChunks(string damage, string bytes)
    {
        _ = damage;
        await using var database = await server.OpenInstallationAsync(Prefix);
        await using var f = await Fixture.CreateAsync(database, TenancyMode.Shared);
        await f.Snapshots.RebuildAsync(f.Alice, Ct);
        var expected = await f.Search.SearchAsync(f.Bob, Query, 10, cancellationToken: Ct);
        await server.ExecuteAsync(f.Tenant.Database, $"UPDATE index_snapshots SET bytes = {bytes} WHERE tenant_id = $1", f.Tenant.Id);
        f.Cache.Clear();
        f.Store.Reset();

        var actual = await f.Search.SearchAsync(f.Bob, Query, 10, cancellationToken: Ct);

        Assert.Equal((2, 2), (f.Store.SnapshotReads, f.Store.TenantLoads));
        Assert.Equal(expected.Hits.Select(h => h.Chunk.Id), actual.Hits.Select(h => h.Chunk.Id));
    }

    [Fact]
    public async Task SearchAsync_SnapshotOfAnOlderFormat_LoadsFromTheChunksAndStoresTheCurrentFormat()
    {
        // As after an upgrade: the snapshots at the current version were written in format 1 (bytes 5-6 of the header).
        await using var database = await server.OpenInstallationAsync(Prefix);
        await using var f = await Fixture.CreateAsync(database, TenancyMode.Shared);
        await f.Snapshots.RebuildAsync(f.Alice, Ct);
        var expected = await f.Search.SearchAsync(f.Bob, Query, 10, cancellationToken: Ct);
        await server.ExecuteAsync(f.Tenant.Database, "UPDATE index_snapshots SET bytes = overlay(bytes placing '\\x0100'::bytea from 5 for 2) WHERE tenant_id = $1", f.Tenant.Id);
        f.Cache.Clear();
        f.Store.Reset();

        var actual = await f.Search.SearchAsync(f.Bob, Query, 10, cancellationToken: Ct);
        await f.Snapshots.WhenIdleAsync(Ct);
        f.Cache.Clear();
        f.Store.Reset();
        var next = await f.Search.SearchAsync(f.Bob, Query, 10, cancellationToken: Ct);

        Assert.Equal(expected.Hits.Select(h => h.Chunk.Id), actual.Hits.Select(h => h.Chunk.Id));
        Assert.Equal((2, 0), (f.Store.SnapshotReads, f.Store.TenantLoads)); // the rewritten snapshots are read
        Assert.Equal(expected.Hits.Select(h => h.Chunk.Id), next.Hits.Select(h => h.Chunk.Id));
        Assert.Equal(0L, await server.ScalarAsync<long>(f.Tenant.Database,
            "SELECT count(*) FROM index_snapshots WHERE tenant_id = $1 AND get_byte(bytes, 4) <> 2", f.Tenant.Id));
    }

    [Theory]
    [InlineData(TenancyMode.Shared)]
    [InlineData(TenancyMode.Dedicated)]
    public async Task DeleteTenant_DeletesItsSnapshots(TenancyMode mode)
    {
        await using var database = await server.OpenInstallationAsync(Prefix);
        await using var f = await Fixture.CreateAsync(database, mode);
        await f.Snapshots.RebuildAsync(f.Alice, Ct);
        var before = await server.ScalarAsync<long>(database.Installation.Names.Shared, "SELECT count(*) FROM index_snapshots WHERE tenant_id = $1", f.Tenant.Id);

        await database.Catalog.DeleteAsync(f.Tenant.Slug, Ct);

        Assert.Equal(mode == TenancyMode.Shared ? 2 : 0, before);
        Assert.Equal(0L, await server.ScalarAsync<long>(database.Installation.Names.Shared, "SELECT count(*) FROM index_snapshots WHERE tenant_id = $1", f.Tenant.Id));
    }

    [Fact]
    public async Task RebuildAsync_TenantBelowTheThreshold_KeepsNoSnapshot()
    {
        await using var database = await server.OpenInstallationAsync(Prefix);
        await using var f = await Fixture.CreateAsync(database, TenancyMode.Shared);
        await f.Snapshots.RebuildAsync(f.Alice, Ct);
        await using var strict = new IndexSnapshots(database.Search, database.Snapshots, new IndexSnapshotOptions { MinRows = 1_000, Debounce = TimeSpan.Zero });

        var bytes = await strict.RebuildAsync(f.Alice, Ct);

        Assert.Equal(0, bytes);
        Assert.Equal(0L, await server.ScalarAsync<long>(f.Tenant.Database, "SELECT count(*) FROM index_snapshots WHERE tenant_id = $1", f.Tenant.Id));
    }

    private static async Task<int> Execute(Postgres.Tenancy.TenantSession session, string sql, string tenantId, long version)
    {
        await using var cmd = session.CreateCommand(sql);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = version });
        return await cmd.ExecuteNonQueryAsync(Ct);
    }

    // A tenant with three public documents of alice (several chunks each) and a private one, searched by bob through a
    // counting store with snapshots on.
    private sealed class Fixture : IAsyncDisposable
    {
        public required TenantInfo Tenant { get; init; }

        public required TenantContext Alice { get; init; }

        public required TenantContext Bob { get; init; }

        public required Guid AlicePrivate { get; init; }

        public required Guid[] Expected { get; init; }

        public required int PublicChunks { get; init; }

        public required BagOfWordsEmbeddingGenerator Embeddings { get; init; }

        public required CountingSearchStore Store { get; init; }

        public required RetrievalIndexCache Cache { get; init; }

        public required IndexSnapshots Snapshots { get; init; }

        public required SearchService Search { get; init; }

        public static async Task<Fixture> CreateAsync(TenantRagDatabase database, TenancyMode mode)
        {
            var embeddings = new BagOfWordsEmbeddingGenerator();
            var tenant = await Corpus.TenantAsync(database, mode, "snap");
            var alice = Corpus.As(tenant, "alice");
            Guid[] expected =
            [
                await Corpus.AddAsync(database, alice, embeddings, "Harbour", "Boats leave the harbour at dawn.\n\nThe harbour master counts the boats."),
                await Corpus.AddAsync(database, alice, embeddings, "Coast", "The coast guard watches the boats.\n\nStorms close the harbour in winter."),
                await Corpus.AddAsync(database, alice, embeddings, "Fish", "Fishing boats bring cod to the harbour market.\n\nGulls follow the boats home."),
            ];
            var alicePrivate = await Corpus.AddAsync(database, alice, embeddings, "Salary", "Alice's salary review: the zebra bonus near the harbour boats.", DocumentVisibility.Private);
            var store = new CountingSearchStore(database.Search);
            var snapshots = new IndexSnapshots(store, database.Snapshots, Options);
            var cache = new RetrievalIndexCache();
            return new Fixture
            {
                Tenant = tenant,
                Alice = alice,
                Bob = Corpus.As(tenant, "bob"),
                AlicePrivate = alicePrivate,
                Expected = [.. expected.Order()],
                PublicChunks = 6,
                Embeddings = embeddings,
                Store = store,
                Cache = cache,
                Snapshots = snapshots,
                Search = new SearchService(store, embeddings, cache, new SearchServiceOptions { Snapshots = snapshots }),
            };
        }

        public async ValueTask DisposeAsync()
        {
            await Snapshots.DisposeAsync();
            Cache.Dispose();
        }
    }
}
