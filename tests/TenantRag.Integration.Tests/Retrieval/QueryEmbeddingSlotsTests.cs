using Microsoft.Extensions.AI;
using TenantRag.Documents;
using TenantRag.Rag.Embeddings;
using TenantRag.Rag.Retrieval;
using TenantRag.Rag.Retrieval.Search;
using TenantRag.Retrieval;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Integration.Tests.Retrieval;

/// <summary>Query embeddings run at most <see cref="SearchServiceOptions.MaxConcurrentQueryEmbeddings"/> at a time.</summary>
public sealed class QueryEmbeddingSlotsTests(PostgresServer server)
{
    [Theory]
    [InlineData(2)]
    [InlineData(0)]
    public async Task Concurrent_searches_embed_their_queries_at_most_the_configured_number_at_once(int slots)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var database = await server.OpenInstallationAsync("srch_slots");
        var tenant = await Corpus.TenantAsync(database, TenancyMode.Shared, "slots");
        var alice = Corpus.As(tenant, "alice");
        var inner = new BagOfWordsEmbeddingGenerator();
        await Corpus.AddAsync(database, alice, inner, "Parking", "Visitors park on level 2 of the garage.", DocumentVisibility.Tenant);
        using var slow = new SlowGenerator(inner);
        using var cache = new RetrievalIndexCache();
        var search = new SearchService(database.Search, slow, cache,
            new SearchServiceOptions { MaxConcurrentQueryEmbeddings = slots, QueryEmbeddingCacheBytes = 0 });

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => search.SearchAsync(alice, $"where do visitors park {i}", 3, cancellationToken: ct)));

        Assert.All(results, r => Assert.Equal("Parking", r.Hits[0].Chunk.DocumentTitle));
        Assert.Equal(8, slow.Calls);
        if (slots > 0)
        {
            Assert.InRange(slow.Peak, 1, slots);
        }
        else
        {
            // Without a limit the eight 300 ms embeddings overlap well beyond two.
            Assert.True(slow.Peak > 2, $"peak {slow.Peak}");
        }
    }

    [Fact]
    public void A_negative_limit_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SearchService(new UnusedStore(), new BagOfWordsEmbeddingGenerator(), new RetrievalIndexCache(),
            new SearchServiceOptions { MaxConcurrentQueryEmbeddings = -1 }));
    }

    /// <summary>Holds every call long enough for all concurrent searches to overlap, counting how many run at once.</summary>
    private sealed class SlowGenerator(BagOfWordsEmbeddingGenerator inner) : IEmbeddingGenerator<string, Embedding<float>>, IEmbeddingModelInfo
    {
        private int _running;
        private int _peak;
        private int _calls;

        public int Peak => Volatile.Read(ref _peak);

        public int Calls => Volatile.Read(ref _calls);

        public string ModelName => inner.ModelName;

        public int Dimensions => inner.Dimensions;

        public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
            CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _calls);
            var now = Interlocked.Increment(ref _running);
            int peak;
            while (now > (peak = Volatile.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, now, peak) != peak)
            {
            }

            try
            {
                await Task.Delay(300, cancellationToken);
                return await inner.GenerateAsync(values, options, cancellationToken);
            }
            finally
            {
                Interlocked.Decrement(ref _running);
            }
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => inner.GetService(serviceType, serviceKey);

        public void Dispose()
        {
        }
    }

    private sealed class UnusedStore : ISearchStore
    {
        public Task<ISearchSession> OpenAsync(TenantContext context, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("not used");
    }
}
