using TenantRag.Documents;
using TenantRag.Rag.Retrieval;
using TenantRag.Rag.Retrieval.Search;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Integration.Tests.Retrieval;

/// <summary>
/// Full-text ranking: rare words outweigh common ones (IDF), any word may match, and the plan through the GIN index
/// (taken when <c>@@</c> is LEAKPROOF, so that row-level security lets the index be used) ranks like the scanning plan.
/// </summary>
public sealed class LexicalSearchTests(PostgresServer server)
{
    private const string Prefix = "srch_lexical";

    private static readonly (string Title, string Text)[] Documents =
    [
        ("Common one", "The study shows results in patients."),
        ("Common two", "The study of patients shows more results."),
        ("Rare", "Zebrafish regenerate heart tissue in the study."),
        ("Other", "Glaciers move slowly downhill."),
    ];

    [Fact]
    public async Task LexicalSearchAsync_RareAndCommonWords_RanksByRareWordAndMatchesAnyWord()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var database = await server.OpenInstallationAsync(Prefix);
        var (alice, ids) = await LibraryAsync(database, TenancyMode.Shared);
        using var cache = new VectorIndexCache();
        var search = new SearchService(database.Search, new BagOfWordsEmbeddingGenerator(), cache);
        var lexical = RetrievalOptions.Default with { Retriever = RetrieverKind.Lexical };

        var result = await search.SearchAsync(alice, "Does the study show zebrafish?", 10, lexical, ct);

        Assert.Equal(ids["Rare"], result.Hits[0].Chunk.DocumentId);
        Assert.Equal(3, result.Hits.Count);
        Assert.DoesNotContain(ids["Other"], result.Hits.Select(h => h.Chunk.DocumentId));
        Assert.All(result.Hits, h => Assert.True(h.LexicalScore > 0));
    }

    [Fact]
    public async Task LexicalSearchAsync_LeakproofMatchOperator_UsesTheGinIndexAndRanksAsTheScan()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var database = await server.OpenInstallationAsync(Prefix);
        var (scanned, _) = await LibraryAsync(database, TenancyMode.Shared);
        var (indexed, _) = await LibraryAsync(database, TenancyMode.Dedicated);
        var tenant = await database.Sessions.ResolveAsync(indexed.Tenant, ct);

        // A superuser's decision, per database: only then may row-level security let @@ use the GIN index.
        await server.ExecuteAsync(tenant.Database, "ALTER FUNCTION pg_catalog.ts_match_vq(tsvector, tsquery) LEAKPROOF");
        var viaScan = await LexicalAsync(database, scanned, "Does the study show zebrafish?", ct);
        var viaIndex = await LexicalAsync(database, indexed, "Does the study show zebrafish?", ct);
        var leakproof = await server.ScalarAsync<bool>(tenant.Database, "SELECT proleakproof FROM pg_proc WHERE oid = 'ts_match_vq'::regproc");

        Assert.True(leakproof);
        Assert.Equal(3, viaIndex.Count);
        Assert.Equal(viaScan.Select(h => h.Score), viaIndex.Select(h => h.Score));
    }

    private static async Task<(TenantContext Alice, Dictionary<string, Guid> Ids)> LibraryAsync(Postgres.TenantRagDatabase database, TenancyMode mode)
    {
        var tenant = await Corpus.TenantAsync(database, mode, "lex");
        var alice = Corpus.As(tenant, "alice");
        var embeddings = new BagOfWordsEmbeddingGenerator();
        var ids = new Dictionary<string, Guid>();
        foreach (var (title, text) in Documents)
        {
            ids[title] = await Corpus.AddAsync(database, alice, embeddings, title, text, DocumentVisibility.Tenant);
        }

        return (alice, ids);
    }

    private static async Task<IReadOnlyList<(long ChunkId, float Score)>> LexicalAsync(Postgres.TenantRagDatabase database, TenantContext who, string query, CancellationToken ct)
    {
        await using var session = await database.Search.OpenAsync(who, ct);
        return await session.LexicalSearchAsync(query, 10, ct);
    }
}
