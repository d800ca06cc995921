using TenantRag.Documents;
using TenantRag.Rag.Retrieval.Search;

namespace TenantRag.Rag.Tests.Retrieval;

public sealed class QueryEmbeddingCacheTests
{
    private static readonly EmbeddingModel Model = new("all-MiniLM-L6-v2", 384);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Add_CountsVectorKeyAndOverheadAgainstTheCapacity()
    {
        using var cache = new QueryEmbeddingCache(1024 * 1024);
        var vector = new float[384];

        cache.Add("acme", Model, "where do visitors park", vector);

        Assert.Equal(QueryEmbeddingCache.EntryOverheadBytes + (384 * 4) + (2 * ("acme".Length + Model.Name.Length + "where do visitors park".Length)), cache.SizeBytes);
        Assert.True(cache.TryGet("acme", Model, "where do visitors park", out var found));
        Assert.Same(vector, found);
        Assert.False(cache.TryGet("acme", Model with { Dimensions = 768 }, "where do visitors park", out _));
        Assert.Equal((1L, 1L, 1), cache.Statistics);
    }

    [Fact]
    public async Task Add_OverCapacity_NeverHoldsMoreAndTheLeastRecentlyUsedGoesFirst()
    {
        var entry = QueryEmbeddingCache.EntryBytes("acme", Model, "query a", new float[384]);
        using var cache = new QueryEmbeddingCache(3 * entry);
        foreach (var query in new[] { "query a", "query b", "query c" })
        {
            cache.Add("acme", Model, query, new float[384]);
            await Task.Delay(5, Ct);
        }

        Assert.True(cache.TryGet("acme", Model, "query a", out _));
        cache.Add("acme", Model, "query d", new float[384]);

        // The vector that did not fit is not kept; the compaction it started removes the least recently used in the background.
        Assert.False(cache.TryGet("acme", Model, "query d", out _));
        using var compacted = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        compacted.CancelAfter(TimeSpan.FromSeconds(30));
        while (cache.Statistics.Count > 2)
        {
            await Task.Delay(10, compacted.Token);
        }

        Assert.True(cache.SizeBytes <= cache.CapacityBytes);
        Assert.False(cache.TryGet("acme", Model, "query b", out _));
        Assert.True(cache.TryGet("acme", Model, "query a", out _));
        Assert.True(cache.TryGet("acme", Model, "query c", out _));
        cache.Add("acme", Model, "query d", new float[384]);
        Assert.True(cache.TryGet("acme", Model, "query d", out _));
    }

    [Fact]
    public void Constructor_LessThanOneEntry_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new QueryEmbeddingCache(QueryEmbeddingCache.EntryOverheadBytes - 1));
    }
}
