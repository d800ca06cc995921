using TenantRag.Documents;
using TenantRag.Rag.Retrieval;
using TenantRag.Rag.Retrieval.Search;

namespace TenantRag.Rag.Tests.Retrieval;

/// <summary>
/// Issue 15 item 4: an idle tenant holds no cache bytes. Both in-process caches drop what a tenant has not used for the
/// idle timeout, however much room is left, and say how many bytes each tenant holds.
/// </summary>
public sealed class IdleCacheTests
{
    private static readonly TimeSpan Idle = TimeSpan.FromMinutes(5);
    private static readonly EmbeddingModel Model = new("all-MiniLM-L6-v2", 384);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task IndexCacheDropIdle_IndexUnusedForTheIdleTimeout_IsDroppedAndTheOneInUseStays()
    {
        var clock = new ManualClock();
        using var cache = new RetrievalIndexCache(new RetrievalIndexCacheOptions { IdleTimeout = Idle, TimeProvider = clock });
        var sleepy = Index(seed: 1);
        var busy = Index(seed: 2);
        await cache.GetOrLoadAsync("sleepy", 1, _ => Task.FromResult(sleepy), Ct);
        await cache.GetOrLoadAsync("busy", 1, _ => Task.FromResult(busy), Ct);
        clock.Advance(Idle - TimeSpan.FromMinutes(1));
        await cache.GetOrLoadAsync<VectorIndex>("busy", 1, _ => throw new InvalidOperationException("must be cached"), Ct);
        clock.Advance(TimeSpan.FromMinutes(1));

        var dropped = cache.DropIdle();

        Assert.Equal(1, dropped);
        Assert.Equal(1, cache.GetStatistics().Entries);
        Assert.Equal(busy.EstimatedBytes, cache.GetStatistics().EstimatedBytes);
        Assert.Equal(0, cache.GetStatistics().Evictions);
        var reloaded = Index(seed: 3);
        Assert.Same(reloaded, await cache.GetOrLoadAsync("sleepy", 1, _ => Task.FromResult(reloaded), Ct));
    }

    [Fact]
    public async Task IndexCacheDropIdle_WithoutIdleTimeout_KeepsEverything()
    {
        var clock = new ManualClock();
        using var cache = new RetrievalIndexCache(new RetrievalIndexCacheOptions { TimeProvider = clock });
        await cache.GetOrLoadAsync("sleepy", 1, _ => Task.FromResult(Index(seed: 1)), Ct);
        clock.Advance(TimeSpan.FromDays(30));

        var dropped = cache.DropIdle();

        Assert.Equal(0, dropped);
        Assert.Equal(1, cache.GetStatistics().Entries);
    }

    [Fact]
    public async Task IndexCacheBytesBy_SumsEachOwnersIndexesAndLeavesOutUnownedKeys()
    {
        using var cache = new RetrievalIndexCache();
        var (a1, a2, b) = (Index(seed: 1), Index(seed: 2), Index(seed: 3));
        await cache.GetOrLoadAsync("a|vector", 1, _ => Task.FromResult(a1), Ct);
        await cache.GetOrLoadAsync("a|lexical", 1, _ => Task.FromResult(a2), Ct);
        await cache.GetOrLoadAsync("b|vector", 1, _ => Task.FromResult(b), Ct);
        await cache.GetOrLoadAsync("other", 1, _ => Task.FromResult(Index(seed: 4)), Ct);

        var bytes = cache.BytesBy(key => key.Contains('|', StringComparison.Ordinal) ? key.Split('|')[0] : null);

        Assert.Equal(new Dictionary<string, long> { ["a"] = a1.EstimatedBytes + a2.EstimatedBytes, ["b"] = b.EstimatedBytes }, bytes);
    }

    [Fact]
    public void QueryCacheDropIdle_TenantThatHasNotSearched_LosesEveryVectorAndTheOtherKeepsItsOwn()
    {
        var clock = new ManualClock();
        using var cache = new QueryEmbeddingCache(1024 * 1024, Idle, clock);
        cache.Add("sleepy", Model, "where do visitors park", new float[384]);
        cache.Add("sleepy", Model, "opening hours", new float[384]);
        cache.Add("busy", Model, "opening hours", new float[384]);
        clock.Advance(Idle - TimeSpan.FromMinutes(1));
        Assert.True(cache.TryGet("busy", Model, "opening hours", out _));
        clock.Advance(TimeSpan.FromMinutes(1));

        var dropped = cache.DropIdle();

        Assert.Equal(1, dropped);
        Assert.False(cache.TryGet("sleepy", Model, "where do visitors park", out _));
        Assert.False(cache.TryGet("sleepy", Model, "opening hours", out _));
        Assert.True(cache.TryGet("busy", Model, "opening hours", out _));
        Assert.Equal(new Dictionary<string, long> { ["busy"] = QueryEmbeddingCache.EntryBytes("busy", Model, "opening hours", new float[384]) }, cache.BytesByTenant());
    }

    [Fact]
    public void QueryCacheBytesByTenant_AddsUpToTheCacheSize()
    {
        using var cache = new QueryEmbeddingCache(1024 * 1024);
        cache.Add("acme", Model, "where do visitors park", new float[384]);
        cache.Add("acme", Model, "opening hours", new float[384]);
        cache.Add("globex", Model, "opening hours", new float[384]);

        var bytes = cache.BytesByTenant();

        Assert.Equal(cache.SizeBytes, bytes.Values.Sum());
        Assert.Equal(QueryEmbeddingCache.EntryBytes("globex", Model, "opening hours", new float[384]), bytes["globex"]);
        Assert.Equal(["acme", "globex"], bytes.Keys.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("6:scope-|5:t-123|6:vector", "scope-", "t-123")]
    [InlineData("6:scope-|5:t-123|6:vector", "other!", null)]
    [InlineData("6:scope-|99:t-123", "scope-", null)]
    [InlineData("6:scope-", "scope-", null)]
    [InlineData("x:scope-|5:t-123", "scope-", null)]
    [InlineData("", "scope-", null)]
    public void PartitionedIndexesTenantOf_ReadsTheTenantOfItsOwnScopeOnly(string key, string scope, string? tenant)
    {
        Assert.Equal(tenant, PartitionedIndexes.TenantOf(key, scope));
    }

    private static VectorIndex Index(int seed) =>
        VectorIndexTests.Build(RandomVectors.CreateUnit(10, 384, seed), _ => ("u", false));
}
