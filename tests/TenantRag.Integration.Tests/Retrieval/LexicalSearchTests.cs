using TenantRag.Documents;
using TenantRag.Rag.Retrieval;
using TenantRag.Rag.Retrieval.Search;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Integration.Tests.Retrieval;

/// <summary>
/// Full-text ranking: rare words outweigh common ones (IDF), any word may match, the in-process index scores exactly as
/// the database computes the same BM25 formula from the stored tsvectors, and another user's private chunks count for
/// nothing.
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
        using var cache = new RetrievalIndexCache();
        var search = new SearchService(database.Search, new BagOfWordsEmbeddingGenerator(), cache);
        var lexical = RetrievalOptions.Default with { Retriever = RetrieverKind.Lexical };

        var result = await search.SearchAsync(alice, "Does the study show zebrafish?", 10, lexical, ct);

        Assert.Equal(ids["Rare"], result.Hits[0].Chunk.DocumentId);
        Assert.Equal(3, result.Hits.Count);
        Assert.DoesNotContain(ids["Other"], result.Hits.Select(h => h.Chunk.DocumentId));
        Assert.All(result.Hits, h => Assert.True(h.LexicalScore > 0));
    }

    [Theory]
    [InlineData(TenancyMode.Shared)]
    [InlineData(TenancyMode.Dedicated)]
    public async Task StartAsync_GivesTheDataVersionAndTheQueryStemmedTermsOnlyWhenAsked(TenancyMode mode)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var database = await server.OpenInstallationAsync(Prefix);
        var (alice, _) = await LibraryAsync(database, mode);
        await using var session = await database.Search.OpenAsync(alice, ct);

        var withTerms = await session.StartAsync("The zebrafish were regenerating hearts", ct);
        var vectorOnly = await session.StartAsync(null, ct);
        var stopWordsOnly = await session.StartAsync("the of and", ct);

        Assert.Equal(["heart", "regener", "zebrafish"], withTerms.QueryTerms!.Order(StringComparer.Ordinal));
        Assert.Null(vectorOnly.QueryTerms);
        Assert.Empty(stopWordsOnly.QueryTerms!);
        Assert.True(withTerms.DataVersion > 0, $"data version {withTerms.DataVersion} after four documents");
        Assert.Equal(withTerms.DataVersion, vectorOnly.DataVersion);
    }

    [Theory]
    [InlineData(TenancyMode.Shared)]
    [InlineData(TenancyMode.Dedicated)]
    public async Task LexicalSearchAsync_InProcessIndex_ScoresAsTheDatabaseComputesTheSameFormula(TenancyMode mode)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var database = await server.OpenInstallationAsync(Prefix);
        var (alice, _) = await LibraryAsync(database, mode);
        var embeddings = new BagOfWordsEmbeddingGenerator();

        // Repeats, heading words and a private chunk of alice's own exercise term frequency, weights and both partitions.
        await Corpus.AddAsync(database, alice, embeddings, "Zebrafish hearts", "Zebrafish zebrafish regenerate; the heart heals.", DocumentVisibility.Tenant);
        await Corpus.AddAsync(database, alice, embeddings, "Private notes", "Study notes about zebrafish and glaciers.", DocumentVisibility.Private);
        using var cache = new RetrievalIndexCache();
        var search = new SearchService(database.Search, embeddings, cache);
        var lexical = RetrievalOptions.Default with { Retriever = RetrieverKind.Lexical };

        foreach (var query in new[] { "Does the study show zebrafish?", "heart regeneration in zebrafish", "glaciers move", "results of patients" })
        {
            var expected = await DatabaseRankingAsync(database, alice, query, ct);
            var actual = (await search.SearchAsync(alice, query, 10, lexical, ct)).Hits;

            Assert.NotEmpty(expected);
            Assert.Equal(expected.Select(e => e.ChunkId), actual.Select(h => h.Chunk.Id));
            Assert.All(expected.Zip(actual), pair => Assert.Equal(pair.First.Score, pair.Second.LexicalScore!.Value, 4));
        }
    }

    [Fact]
    public async Task LexicalSearchAsync_AnotherUsersPrivateChunk_IsNeitherFoundNorCountedInWordStatistics()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var database = await server.OpenInstallationAsync(Prefix);
        var (alice, _) = await LibraryAsync(database, TenancyMode.Shared);
        var bob = TenantContext.For(alice.Tenant, UserId.Parse("bob"));
        var embeddings = new BagOfWordsEmbeddingGenerator();
        using var cache = new RetrievalIndexCache();
        var search = new SearchService(database.Search, embeddings, cache);
        var lexical = RetrievalOptions.Default with { Retriever = RetrieverKind.Lexical };
        var before = await search.SearchAsync(bob, "zebrafish study", 10, lexical, ct);

        var secret = await Corpus.AddAsync(database, alice, embeddings, "Alice private", "Zebrafish zebrafish study secret.", DocumentVisibility.Private);
        var asBob = await search.SearchAsync(bob, "zebrafish study", 10, lexical, ct);
        var asAlice = await search.SearchAsync(alice, "zebrafish study", 10, lexical, ct);

        Assert.DoesNotContain(secret, asBob.Hits.Select(h => h.Chunk.DocumentId));
        Assert.Equal(before.Hits.Select(h => (h.Chunk.Id, h.LexicalScore)), asBob.Hits.Select(h => (h.Chunk.Id, h.LexicalScore)));
        Assert.Equal(secret, asAlice.Hits[0].Chunk.DocumentId);
    }

    // The ranking LexicalIndex implements, computed by PostgreSQL alone in the caller's session: ts_rank of each query
    // word alone (weights {D 0.1, C 0.2, B 0.4, A 1.0}) over its value for one text occurrence is the term frequency.
    private const string DatabaseRankingSql = """
        WITH t AS MATERIALIZED (
            SELECT u.i, to_tsquery('simple', quote_literal(u.l)) AS tq
            FROM unnest(tsvector_to_array(to_tsvector('english', $2))) WITH ORDINALITY AS u(l, i)),
        a AS MATERIALIZED (SELECT c.id, c.tsv, 0.7 + 0.3 * length(c.tsv) / 64.0 AS norm FROM public.chunks c WHERE c.tenant_id = $1),
        n AS MATERIALIZED (SELECT count(*)::float8 AS n FROM a),
        p AS MATERIALIZED (SELECT a.id, t.i FROM a JOIN t ON a.tsv @@ t.tq),
        w AS MATERIALIZED (
            SELECT t.i, t.tq, ln(1 + (n.n - d.df + 0.5) / (d.df + 0.5)) AS idf
            FROM (SELECT p.i, count(*)::float8 AS df FROM p GROUP BY p.i) d JOIN t ON t.i = d.i, n)
        SELECT a.id, sum(w.idf * r.tf * 1.9 / (r.tf + 0.9 * a.norm))::real AS score
        FROM p JOIN a ON a.id = p.id JOIN w ON w.i = p.i
        CROSS JOIN LATERAL (SELECT ts_rank('{0.1, 0.2, 0.4, 1.0}', a.tsv, w.tq, 0) / 0.243170664 AS tf) r
        GROUP BY a.id ORDER BY score DESC, a.id LIMIT 10
        """;

    private static async Task<List<(long ChunkId, float Score)>> DatabaseRankingAsync(Postgres.TenantRagDatabase database, TenantContext who, string query, CancellationToken ct)
    {
        await using var session = await database.Sessions.OpenSessionAsync(who, ct);
        await using var cmd = session.CreateCommand(DatabaseRankingSql);
        cmd.Parameters.Add(new() { Value = session.TenantId });
        cmd.Parameters.Add(new() { Value = query });
        var ranking = new List<(long, float)>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            ranking.Add((reader.GetInt64(0), reader.GetFloat(1)));
        }

        return ranking;
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
}
