using TenantRag.Documents;
using TenantRag.Rag.Retrieval;
using TenantRag.Rag.Retrieval.Search;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Integration.Tests.Retrieval;

/// <summary>
/// The query-embedding cache is per tenant. The attack: a shared cache made a search answer in 6 ms instead of 100
/// when another tenant had recently sent the same text, so a tenant could learn what others were asking.
/// </summary>
[Trait("Category", "Isolation")]
public sealed class QueryEmbeddingCacheTests(PostgresServer server)
{
    [Fact]
    public async Task A_query_another_tenant_just_sent_is_embedded_afresh_and_only_a_repeat_by_the_same_tenant_hits()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var database = await server.OpenInstallationAsync("srch_qcache");
        var first = Corpus.As(await Corpus.TenantAsync(database, TenancyMode.Shared, "qca"), "alice");
        var second = Corpus.As(await Corpus.TenantAsync(database, TenancyMode.Dedicated, "qcb"), "bob");
        var embeddings = new BagOfWordsEmbeddingGenerator();
        foreach (var who in new[] { first, second })
        {
            await Corpus.AddAsync(database, who, embeddings, "Parking", "Visitors park on level 2 of the garage.", DocumentVisibility.Tenant);
        }

        using var cache = new RetrievalIndexCache();
        var search = new SearchService(database.Search, embeddings, cache, new SearchServiceOptions { QueryEmbeddingCacheBytes = 1024 * 1024 });
        const string question = "where do visitors park during the merger talks";
        var before = embeddings.Calls.Count;

        await search.SearchAsync(first, question, 3, cancellationToken: ct);
        var afterFirst = embeddings.Calls.Count - before;
        await search.SearchAsync(second, question, 3, cancellationToken: ct);
        var afterOther = embeddings.Calls.Count - before;
        await search.SearchAsync(second, question, 3, cancellationToken: ct);
        var afterRepeat = embeddings.Calls.Count - before;

        Assert.Equal((1, 2, 2), (afterFirst, afterOther, afterRepeat));
        Assert.Equal((1L, 2L, 2), search.QueryCache!.Statistics);
    }
}
