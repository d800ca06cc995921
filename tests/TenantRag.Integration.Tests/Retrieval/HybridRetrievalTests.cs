using TenantRag.Rag.Retrieval;
using TenantRag.Rag.Retrieval.Search;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Integration.Tests.Retrieval;

/// <summary>Hybrid search with the real model finds what only one of its retrievers can: an exact code, and a paraphrase.</summary>
public sealed class HybridRetrievalTests(PostgresServer server, MiniLmFixture model) : IClassFixture<MiniLmFixture>
{
    private const string Prefix = "srch_hybrid";

    [Fact]
    public async Task SearchAsync_LexicalOnlyAndParaphraseOnlyMatches_HybridRanksBothFirst()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var database = await server.OpenInstallationAsync(Prefix);
        var tenant = await Corpus.TenantAsync(database, TenancyMode.Shared);
        var alice = Corpus.As(tenant, "alice");
        var ids = new Dictionary<string, Guid>();
        foreach (var (title, text) in SmallLibrary.Documents)
        {
            ids[title] = await Corpus.AddAsync(database, alice, model.Generator, title, text);
        }

        using var cache = new RetrievalIndexCache();
        var search = new SearchService(database.Search, model.Generator, cache);
        var lexical = RetrievalOptions.Default with { Retriever = RetrieverKind.Lexical };

        var code = await search.SearchAsync(alice, "E4471", 3, cancellationToken: ct);
        var codeLexical = await search.SearchAsync(alice, "E4471", 3, lexical, ct);
        var paraphrase = await search.SearchAsync(alice, "cat sleeping on a carpet", 3, cancellationToken: ct);
        var paraphraseLexical = await search.SearchAsync(alice, "cat sleeping on a carpet", 3, lexical, ct);
        var paraphraseDocuments = await search.SearchDocumentsAsync(alice, "cat sleeping on a carpet", 3, cancellationToken: ct);

        Assert.Equal(ids["Pump faults"], code.Hits[0].Chunk.DocumentId);
        Assert.Equal([ids["Pump faults"]], codeLexical.Hits.Select(h => h.Chunk.DocumentId));
        Assert.Equal(ids["Quiet afternoon"], paraphrase.Hits[0].Chunk.DocumentId);
        Assert.Equal(1, paraphrase.Hits[0].VectorRank);
        Assert.Null(paraphrase.Hits[0].LexicalRank);
        Assert.DoesNotContain(ids["Quiet afternoon"], paraphraseLexical.Hits.Select(h => h.Chunk.DocumentId));
        Assert.Equal(ids["Quiet afternoon"], paraphraseDocuments.Documents[0].DocumentId);
        Assert.Equal("Quiet afternoon", paraphraseDocuments.Documents[0].Title);
    }

    [Fact]
    public async Task SearchDocumentsAsync_SeveralSettings_EachAsASearchWithThatSettingAlone()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var database = await server.OpenInstallationAsync(Prefix);
        var tenant = await Corpus.TenantAsync(database, TenancyMode.Shared);
        var alice = Corpus.As(tenant, "alice");
        foreach (var (title, text) in SmallLibrary.Documents)
        {
            await Corpus.AddAsync(database, alice, model.Generator, title, text);
        }

        using var cache = new RetrievalIndexCache();
        var search = new SearchService(database.Search, model.Generator, cache);
        RetrievalOptions[] settings =
        [
            RetrievalOptions.Default,
            RetrievalOptions.Default with { RrfK = 60, LexicalWeight = 3 },
            RetrievalOptions.Default with { CandidateDepth = 3 }, // as deep as the results: fewer candidates to fuse
            RetrievalOptions.Default with { Retriever = RetrieverKind.Vector },
            RetrievalOptions.Default with { Retriever = RetrieverKind.Lexical },
        ];

        var together = await search.SearchDocumentsAsync(alice, "pressure of the pump", 3, settings, ct);

        Assert.Equal(settings.Length, together.Count);
        for (var i = 0; i < settings.Length; i++)
        {
            var alone = await search.SearchDocumentsAsync(alice, "pressure of the pump", 3, settings[i], ct);
            Assert.Equal(settings[i].Retriever, together[i].Retriever);
            Assert.Equal(alone.Documents.Select(d => (d.DocumentId, d.Score, d.VectorRank, d.LexicalRank)),
                together[i].Documents.Select(d => (d.DocumentId, d.Score, d.VectorRank, d.LexicalRank)));
        }

        // The settings rank differently, or the comparison above would prove little.
        Assert.All(together[4].Documents, d => Assert.Null(d.VectorRank));
        Assert.True(together.Select(r => string.Join(",", r.Documents.Select(d => d.DocumentId))).Distinct().Count() >= 3);
    }
}
