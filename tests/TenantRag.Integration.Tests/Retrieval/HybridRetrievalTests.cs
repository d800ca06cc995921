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
}
