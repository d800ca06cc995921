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
        var workerNice = await worker.RunAsync(() => CurrentThreadStat(16), TestContext.Current.CancellationToken);
        var workerPolicy = await worker.RunAsync(() => CurrentThreadStat(38), TestContext.Current.CancellationToken);

        Assert.Equal(Enumerable.Range(0, 20).Select(i => i * i), results);
        Assert.Equal(Enumerable.Range(0, 20), order);
        Assert.Single(threads.Distinct());
        Assert.NotEqual(Environment.CurrentManagedThreadId, threads[0]);
        Assert.True(worker.PriorityLowered);
        Assert.Equal(19, workerNice);
        Assert.Equal(SchedIdle, workerPolicy);
        Assert.NotEqual(19, CurrentThreadStat(16));
        Assert.NotEqual(SchedIdle, CurrentThreadStat(38));
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

    [Fact]
    public async Task Where_the_cpu_cgroup_hierarchy_is_writable_the_thread_moves_into_an_idle_group_and_only_it()
    {
        using var worker = new LowPriorityWorker("test worker");
        var workerGroup = CpuGroup(await worker.RunAsync(() => File.ReadAllText("/proc/thread-self/cgroup"), TestContext.Current.CancellationToken));
        var callerGroup = CpuGroup(File.ReadAllText("/proc/thread-self/cgroup"));

        if (CpuHierarchyWritable())
        {
            Assert.Contains("cgroup tenantrag-background (cpu.idle)", worker.Priority, StringComparison.Ordinal);
            Assert.EndsWith("/tenantrag-background", workerGroup, StringComparison.Ordinal);
            Assert.DoesNotContain("tenantrag-background", callerGroup, StringComparison.Ordinal);
            var directory = Path.Combine("/sys/fs/cgroup/cpu", workerGroup.TrimStart('/'));
            Assert.Equal("1", File.ReadAllText(Path.Combine(directory, "cpu.idle")).Trim());
        }
        else
        {
            // Read-only or cgroup v2: SCHED_IDLE and nice stay, the thread keeps its process's group.
            Assert.DoesNotContain("cgroup", worker.Priority, StringComparison.Ordinal);
            Assert.Equal(callerGroup, workerGroup);
        }
    }

    [Fact]
    public async Task Without_the_idle_group_the_thread_keeps_its_processs_cgroup()
    {
        using var worker = new LowPriorityWorker("test worker", idleCpuGroup: false);
        var workerGroup = CpuGroup(await worker.RunAsync(() => File.ReadAllText("/proc/thread-self/cgroup"), TestContext.Current.CancellationToken));

        Assert.Equal(CpuGroup(File.ReadAllText("/proc/thread-self/cgroup")), workerGroup);
        Assert.Equal("SCHED_IDLE, nice 19", worker.Priority);
    }

    // The path of the cgroup-v1 cpu controller's line ("1:cpu:/path" or "1:cpu,cpuacct:/path"); "" on cgroup v2 only.
    private static string CpuGroup(string cgroupFile) =>
        cgroupFile.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(':', 3))
            .Where(parts => parts.Length == 3 && parts[1].Split(',').Contains("cpu"))
            .Select(parts => parts[2])
            .FirstOrDefault() ?? string.Empty;

    private static bool CpuHierarchyWritable() =>
        Environment.UserName == "root"
        && File.Exists("/sys/fs/cgroup/cpu/cpu.idle")
        && File.ReadLines("/proc/self/mounts").Any(line =>
        {
            var fields = line.Split(' ');
            return fields.Length > 3 && fields[1] == "/sys/fs/cgroup/cpu" && fields[3].Split(',').Contains("rw");
        });

    private const int SchedIdle = 5;

    // A field of /proc/thread-self/stat for the calling thread, counted from the one after the parenthesised command
    // name (proc(5)'s field 3): 16 is the nice value (field 19), 38 the scheduling policy (field 41).
    private static int CurrentThreadStat(int index)
    {
        var stat = File.ReadAllText("/proc/thread-self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[index], System.Globalization.CultureInfo.InvariantCulture);
    }
}
