using TenantRag.Rag.Embeddings;

namespace TenantRag.Rag.Tests.Embeddings;

public sealed class LowPriorityWorkerTests
{
    [Fact]
    public async Task Work_runs_in_order_on_one_idle_priority_thread_and_the_callers_thread_keeps_its_priority()
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
        var workerNice = await worker.RunAsync(() => ThreadStat.Nice(), TestContext.Current.CancellationToken);
        var workerPolicy = await worker.RunAsync(() => ThreadStat.Policy(), TestContext.Current.CancellationToken);

        Assert.Equal(Enumerable.Range(0, 20).Select(i => i * i), results);
        Assert.Equal(Enumerable.Range(0, 20), order);
        Assert.Single(threads.Distinct());
        Assert.NotEqual(Environment.CurrentManagedThreadId, threads[0]);
        Assert.True(worker.PriorityLowered);
        Assert.Equal(19, workerNice);
        Assert.Equal(ThreadStat.SchedIdle, workerPolicy);
        Assert.NotEqual(19, ThreadStat.Nice());
        Assert.NotEqual(ThreadStat.SchedIdle, ThreadStat.Policy());
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
    public async Task While_foreground_work_runs_each_piece_is_followed_by_a_pause_of_nine_times_its_length()
    {
        var foreground = new ForegroundActivity();
        using var worker = new LowPriorityWorker("test worker", new LowPriorityWorkerOptions { Foreground = foreground });
        (long Start, long End)[] pieces;
        using (foreground.Begin())
        {
            pieces = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => worker.RunAsync(() =>
            {
                var start = System.Diagnostics.Stopwatch.GetTimestamp();
                Thread.Sleep(20);
                return (start, System.Diagnostics.Stopwatch.GetTimestamp());
            }, TestContext.Current.CancellationToken)));
        }

        // The worker measures each piece from outside it, so its pause is at least nine times what the piece measured
        // itself; waiting for the CPU only lengthens the gap.
        for (var i = 1; i < pieces.Length; i++)
        {
            var length = System.Diagnostics.Stopwatch.GetElapsedTime(pieces[i - 1].Start, pieces[i - 1].End);
            var gap = System.Diagnostics.Stopwatch.GetElapsedTime(pieces[i - 1].End, pieces[i].Start);
            var pause = length * 9 < TimeSpan.FromSeconds(1) ? length * 9 : TimeSpan.FromSeconds(1);
            Assert.True(gap >= pause * 0.95, $"piece {i}: {length.TotalMilliseconds:F1} ms, then {gap.TotalMilliseconds:F1} ms until the next");
        }
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

    [Fact]
    public async Task Where_the_cpu_cgroup_hierarchy_is_writable_the_thread_moves_into_an_idle_group_and_only_it()
    {
        using var worker = new LowPriorityWorker("test worker");
        var workerGroup = ThreadStat.CpuGroup(await worker.RunAsync(() => File.ReadAllText("/proc/thread-self/cgroup"), TestContext.Current.CancellationToken));
        var callerGroup = ThreadStat.CpuGroup(File.ReadAllText("/proc/thread-self/cgroup"));

        if (ThreadStat.CpuHierarchyWritable())
        {
            // A group of the worker's own, named after the process, so that raising it for a minimum share raises no one else.
            var name = $"tenantrag-background-{Environment.ProcessId}-";
            Assert.Matches($@"cgroup {name}\d+ \(cpu\.idle\)$", worker.Priority);
            Assert.Contains("/" + name, workerGroup, StringComparison.Ordinal);
            Assert.DoesNotContain("tenantrag-background", callerGroup, StringComparison.Ordinal);
            var directory = Path.Combine("/sys/fs/cgroup/cpu", workerGroup.TrimStart('/'));
            Assert.Equal("1", File.ReadAllText(Path.Combine(directory, "cpu.idle")).Trim());
            worker.Dispose();
            Assert.False(Directory.Exists(directory), "the worker's cgroup outlived it");
        }
        else
        {
            // Read-only or cgroup v2: SCHED_IDLE and nice stay, the thread keeps its process's group.
            Assert.DoesNotContain("cgroup", worker.Priority, StringComparison.Ordinal);
            Assert.Equal(callerGroup, workerGroup);
        }
    }

    [Fact]
    public async Task A_thread_started_from_the_worker_is_moved_out_of_its_idle_group_at_normal_priority()
    {
        Assert.SkipUnless(ThreadStat.CpuHierarchyWritable(), "needs a writable cgroup-v1 cpu hierarchy (root)");
        using var worker = new LowPriorityWorker("test worker");
        var started = new TaskCompletionSource<(string Group, int Nice)>(TaskCreationOptions.RunContinuationsAsynchronously);

        // The kernel gives a new thread its creator's cgroup and nice value: the runtime's own threads (the thread pool's,
        // started to run a continuation) would run searches at idle priority. (On a busy machine the new thread may first
        // run after it was moved, so where it started is not asserted.)
        var workerGroup = await worker.RunAsync(() =>
        {
            var group = ThreadStat.CurrentCpuGroup();
            new Thread(() =>
            {
                var watch = System.Diagnostics.Stopwatch.StartNew();
                while (ThreadStat.CurrentCpuGroup() == group && watch.Elapsed < TimeSpan.FromSeconds(30))
                {
                    Thread.Sleep(10);
                }

                started.TrySetResult((ThreadStat.CurrentCpuGroup(), ThreadStat.Nice()));
            }) { IsBackground = true }.Start();
            return group;
        }, TestContext.Current.CancellationToken);
        var (group, nice) = await started.Task.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        Assert.NotEqual(workerGroup, group);
        Assert.Equal(0, nice);
    }

    [Fact]
    public async Task Without_the_idle_group_the_thread_keeps_its_processs_cgroup()
    {
        using var worker = new LowPriorityWorker("test worker", idleCpuGroup: false);
        var workerGroup = ThreadStat.CpuGroup(await worker.RunAsync(() => File.ReadAllText("/proc/thread-self/cgroup"), TestContext.Current.CancellationToken));

        Assert.Equal(ThreadStat.CpuGroup(File.ReadAllText("/proc/thread-self/cgroup")), workerGroup);
        Assert.Equal("SCHED_IDLE, nice 19", worker.Priority);
    }
}
