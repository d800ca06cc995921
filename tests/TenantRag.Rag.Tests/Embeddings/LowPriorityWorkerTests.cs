using TenantRag.Rag.Embeddings;

namespace TenantRag.Rag.Tests.Embeddings;

public sealed class LowPriorityWorkerTests
{
    [Fact]
    public async Task Work_runs_in_order_on_one_thread_at_nice_19_and_the_callers_thread_keeps_its_priority()
    {
        using var worker = new LowPriorityWorker("test worker");
        var threads = new List<int>();
        var order = new List<int>();

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => worker.RunAsync(() =>
        {
            threads.Add(Environment.CurrentManagedThreadId);
            order.Add(i);
            return i * i;
        }, TestContext.Current.CancellationToken)));
        var workerNice = await worker.RunAsync(CurrentThreadNice, TestContext.Current.CancellationToken);

        Assert.Equal(Enumerable.Range(0, 20).Select(i => i * i), results);
        Assert.Equal(Enumerable.Range(0, 20), order);
        Assert.Single(threads.Distinct());
        Assert.NotEqual(Environment.CurrentManagedThreadId, threads[0]);
        Assert.True(worker.PriorityLowered);
        Assert.Equal(19, workerNice);
        Assert.NotEqual(19, CurrentThreadNice());
    }

    [Fact]
    public async Task A_failing_item_fails_its_caller_only_and_cancelled_items_do_not_run()
    {
        using var worker = new LowPriorityWorker("test worker");
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var ran = false;

        var failing = worker.RunAsync<int>(() => throw new InvalidDataException("bad input"), TestContext.Current.CancellationToken);
        var skipped = worker.RunAsync(() => ran = true, cancelled.Token);
        var next = worker.RunAsync(() => 42, TestContext.Current.CancellationToken);

        await Assert.ThrowsAsync<InvalidDataException>(() => failing);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => skipped);
        Assert.Equal(42, await next);
        Assert.False(ran);
    }

    [Fact]
    public void Disposed_worker_refuses_work()
    {
        var worker = new LowPriorityWorker("test worker");
        worker.Dispose();

        // Thrown by the call itself, not by the task it would return.
        var refused = Record.Exception(() => { _ = worker.RunAsync(() => 1, TestContext.Current.CancellationToken); });

        Assert.IsType<ObjectDisposedException>(refused);
    }

    // Field 19 of /proc/thread-self/stat is the calling thread's nice value (after the parenthesised command name).
    private static int CurrentThreadNice()
    {
        var stat = File.ReadAllText("/proc/thread-self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[16], System.Globalization.CultureInfo.InvariantCulture);
    }
}
