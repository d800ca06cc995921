using TenantRag.Rag.Retrieval;
using TenantRag.Rag.Retrieval.Search;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Integration.Tests.Retrieval;

/// <summary>
/// A write by another process (here: a second <c>TenantRagDatabase</c> on the same installation, with pools of its own)
/// changes the tenant's data version, so the next search of the first process reloads its cached index.
/// </summary>
public sealed class CacheInvalidationTests(PostgresServer server)
{
    private const string Prefix = "srch_cache";

    [Theory]
    [InlineData(TenancyMode.Shared)]
    [InlineData(TenancyMode.Dedicated)]
    public async Task SearchAsync_AfterWriteThroughAnotherInstance_SeesTheChange(TenancyMode mode)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var first = await server.OpenInstallationAsync(Prefix);
        await using var second = await server.OpenInstallationAsync(Prefix);
        var embeddings = new BagOfWordsEmbeddingGenerator();
        var tenant = await Corpus.TenantAsync(first, mode);
        var alice = Corpus.As(tenant, "alice");
        await Corpus.AddAsync(first, alice, embeddings, "Harbour", "Boats leave the harbour at dawn.");
        using var cache = new RetrievalIndexCache();
        var search = new SearchService(first.Search, embeddings, cache);
        var vectorOnly = RetrievalOptions.Default with { Retriever = RetrieverKind.Vector };

        var before = await search.SearchAsync(alice, "lighthouse keeper", 10, vectorOnly, ct);
        var cachedBefore = await search.SearchAsync(alice, "lighthouse keeper", 10, vectorOnly, ct);
        var loadsBefore = cache.GetStatistics().Loads;
        var added = await Corpus.AddAsync(second, Corpus.As(tenant, "bob"), embeddings, "Lighthouse", "The lighthouse keeper lights the lamp every evening.");
        var after = await search.SearchAsync(alice, "lighthouse keeper", 10, vectorOnly, ct);
        var loadsAfter = cache.GetStatistics().Loads;
        Assert.True(await second.Documents.DeleteAsync(Corpus.As(tenant, "bob"), added, ct));
        var afterDelete = await search.SearchAsync(alice, "lighthouse keeper", 10, vectorOnly, ct);

        Assert.DoesNotContain(added, before.Hits.Select(h => h.Chunk.DocumentId));
        Assert.Equal(before.Hits.Select(h => h.Chunk.Id), cachedBefore.Hits.Select(h => h.Chunk.Id));
        Assert.Equal(2, loadsBefore);
        Assert.Equal(added, after.Hits[0].Chunk.DocumentId);
        Assert.Equal(4, loadsAfter);
        Assert.DoesNotContain(added, afterDelete.Hits.Select(h => h.Chunk.DocumentId));
    }
}
