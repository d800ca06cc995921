using TenantRag.Rag.Retrieval;

namespace TenantRag.Rag.Tests.Retrieval;

public sealed class RetrievalIndexCacheTests
{
    private const int Dimensions = 384;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Same_version_is_served_from_the_cache()
    {
        using var cache = new RetrievalIndexCache();
        var loads = 0;
        Task<VectorIndex> Loader(CancellationToken _)
        {
            loads++;
            return Task.FromResult(CreateIndex(rows: 10, seed: 1));
        }

        var first = await cache.GetOrLoadAsync("db|t1", 1, Loader, Ct);
        var second = await cache.GetOrLoadAsync("db|t1", 1, Loader, Ct);

        Assert.Same(first, second);
        Assert.Equal(1, loads);
        Assert.Equal(new RetrievalIndexCacheStatistics(1, first.EstimatedBytes, Hits: 1, Loads: 1, Evictions: 0), cache.GetStatistics());
    }

    [Fact]
    public async Task Version_change_triggers_a_reload()
    {
        using var cache = new RetrievalIndexCache();
        var v1 = CreateIndex(rows: 10, seed: 1);
        var v2 = CreateIndex(rows: 12, seed: 2);

        Assert.Same(v1, await cache.GetOrLoadAsync("db|t1", 1, _ => Task.FromResult(v1), Ct));
        Assert.Same(v2, await cache.GetOrLoadAsync("db|t1", 2, _ => Task.FromResult(v2), Ct));
        Assert.Same(v2, await cache.GetOrLoadAsync<VectorIndex>("db|t1", 2, _ => throw new InvalidOperationException("must not reload"), Ct));

        var statistics = cache.GetStatistics();
        Assert.Equal(1, statistics.Entries);
        Assert.Equal(v2.EstimatedBytes, statistics.EstimatedBytes);
        Assert.Equal(2, statistics.Loads);
    }

    [Fact]
    public async Task Keys_are_independent()
    {
        using var cache = new RetrievalIndexCache();
        var a = CreateIndex(rows: 5, seed: 1);
        var b = CreateIndex(rows: 5, seed: 2);

        Assert.Same(a, await cache.GetOrLoadAsync("db|a", 1, _ => Task.FromResult(a), Ct));
        Assert.Same(b, await cache.GetOrLoadAsync("db|b", 1, _ => Task.FromResult(b), Ct));
        Assert.Same(a, await cache.GetOrLoadAsync("db|a", 1, _ => Task.FromResult(b), Ct));
    }

    [Fact]
    public async Task Least_recently_used_indexes_are_evicted_to_stay_within_budget()
    {
        var a = CreateIndex(rows: 100, seed: 1);
        var b = CreateIndex(rows: 100, seed: 2);
        var c = CreateIndex(rows: 100, seed: 3);

        // Room for two of the three.
        using var cache = new RetrievalIndexCache(new RetrievalIndexCacheOptions { MemoryBudgetBytes = (2 * a.EstimatedBytes) + 100 });
        await cache.GetOrLoadAsync("a", 1, _ => Task.FromResult(a), Ct);
        await cache.GetOrLoadAsync("b", 1, _ => Task.FromResult(b), Ct);
        await cache.GetOrLoadAsync("a", 1, _ => Task.FromResult(a), Ct); // a is now more recent than b
        await cache.GetOrLoadAsync("c", 1, _ => Task.FromResult(c), Ct);

        var statistics = cache.GetStatistics();
        Assert.Equal(2, statistics.Entries);
        Assert.Equal(1, statistics.Evictions);
        Assert.True(statistics.EstimatedBytes <= cache.MemoryBudgetBytes);

        var reloadedB = 0;
        await cache.GetOrLoadAsync<VectorIndex>("a", 1, _ => throw new InvalidOperationException("a was evicted"), Ct);
        await cache.GetOrLoadAsync<VectorIndex>("c", 1, _ => throw new InvalidOperationException("c was evicted"), Ct);
        await cache.GetOrLoadAsync("b", 1, _ =>
        {
            reloadedB++;
            return Task.FromResult(b);
        }, Ct);
        Assert.Equal(1, reloadedB);
        Assert.True(cache.GetStatistics().EstimatedBytes <= cache.MemoryBudgetBytes);
    }

    [Fact]
    public async Task Index_larger_than_the_budget_is_returned_but_not_cached()
    {
        var small = CreateIndex(rows: 1, seed: 1);
        var large = CreateIndex(rows: 1000, seed: 2);
        using var cache = new RetrievalIndexCache(new RetrievalIndexCacheOptions { MemoryBudgetBytes = small.EstimatedBytes * 10 });
        await cache.GetOrLoadAsync("small", 1, _ => Task.FromResult(small), Ct);

        Assert.Same(large, await cache.GetOrLoadAsync("large", 1, _ => Task.FromResult(large), Ct));

        var statistics = cache.GetStatistics();
        Assert.Equal(1, statistics.Entries);
        Assert.Equal(small.EstimatedBytes, statistics.EstimatedBytes);
    }

    [Fact]
    public async Task Concurrent_requests_for_the_same_key_load_once()
    {
        using var cache = new RetrievalIndexCache();
        var index = CreateIndex(rows: 50, seed: 1);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var loads = 0;
        async Task<VectorIndex> Loader(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref loads);
            await release.Task.WaitAsync(cancellationToken);
            return index;
        }

        var callers = Enumerable.Range(0, 32)
            .Select(_ => Task.Run(() => cache.GetOrLoadAsync("db|t1", 7, Loader, Ct), Ct))
            .ToArray();
        await Task.Delay(100, Ct);
        release.SetResult();
        var results = await Task.WhenAll(callers);

        Assert.Equal(1, loads);
        Assert.All(results, r => Assert.Same(index, r));
        Assert.Equal(1, cache.GetStatistics().Loads);
    }

    [Fact]
    public async Task Failed_load_reaches_every_waiter_and_the_next_request_retries()
    {
        using var cache = new RetrievalIndexCache();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        async Task<VectorIndex> Failing(CancellationToken cancellationToken)
        {
            await release.Task.WaitAsync(cancellationToken);
            throw new InvalidOperationException("database unavailable");
        }

        var first = cache.GetOrLoadAsync("db|t1", 1, Failing, Ct);
        var second = cache.GetOrLoadAsync("db|t1", 1, Failing, Ct);
        release.SetResult();

        Assert.Equal("database unavailable", (await Assert.ThrowsAsync<InvalidOperationException>(() => first)).Message);
        Assert.Equal("database unavailable", (await Assert.ThrowsAsync<InvalidOperationException>(() => second)).Message);

        var index = CreateIndex(rows: 3, seed: 1);
        Assert.Same(index, await cache.GetOrLoadAsync("db|t1", 1, _ => Task.FromResult(index), Ct));
        Assert.Equal(2, cache.GetStatistics().Loads);
    }

    [Fact]
    public async Task A_cancelled_caller_does_not_cancel_the_shared_load()
    {
        using var cache = new RetrievalIndexCache();
        var index = CreateIndex(rows: 3, seed: 1);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        async Task<VectorIndex> Loader(CancellationToken cancellationToken)
        {
            await release.Task.WaitAsync(cancellationToken);
            return index;
        }

        using var impatient = new CancellationTokenSource();
        var cancelled = cache.GetOrLoadAsync("db|t1", 1, Loader, impatient.Token);
        var patient = cache.GetOrLoadAsync("db|t1", 1, Loader, Ct);
        await impatient.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);

        release.SetResult();
        Assert.Same(index, await patient);
        Assert.Same(index, await cache.GetOrLoadAsync<VectorIndex>("db|t1", 1, _ => throw new InvalidOperationException("cached"), Ct));
    }

    [Fact]
    public async Task Invalidate_and_clear_drop_entries()
    {
        using var cache = new RetrievalIndexCache();
        var index = CreateIndex(rows: 3, seed: 1);
        await cache.GetOrLoadAsync("a", 1, _ => Task.FromResult(index), Ct);
        await cache.GetOrLoadAsync("b", 1, _ => Task.FromResult(index), Ct);

        Assert.True(cache.Invalidate("a"));
        Assert.False(cache.Invalidate("a"));
        Assert.Equal(1, cache.GetStatistics().Entries);

        cache.Clear();
        Assert.Equal(0, cache.GetStatistics().Entries);
        Assert.Equal(0, cache.GetStatistics().EstimatedBytes);
    }

    [Fact]
    public async Task Disposed_cache_rejects_requests()
    {
        var cache = new RetrievalIndexCache();
        cache.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(
            () => cache.GetOrLoadAsync("a", 1, _ => Task.FromResult(CreateIndex(1, 1)), Ct));
    }

    [Fact]
    public void Budget_must_be_positive()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RetrievalIndexCache(new RetrievalIndexCacheOptions { MemoryBudgetBytes = 0 }));
        Assert.Equal(512L * 1024 * 1024, new RetrievalIndexCacheOptions().MemoryBudgetBytes);
    }

    private static VectorIndex CreateIndex(int rows, int seed) =>
        VectorIndexTests.Build(RandomVectors.CreateUnit(rows, Dimensions, seed), _ => ("u", false));
}
