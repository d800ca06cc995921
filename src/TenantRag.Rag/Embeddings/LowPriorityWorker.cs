using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace TenantRag.Rag.Embeddings;

/// <summary>
/// One dedicated thread that runs queued work at the lowest CPU priority the operating system offers (on Linux the
/// SCHED_IDLE policy and nice 19, and where the process may, an idle cpu cgroup: see <see cref="IdleCpuGroup"/>), so
/// background work such as embedding uploads takes only CPU time that foreground work (queries, and the database
/// backends serving them) leaves idle.
/// Work items run one at a time, in order. Thread-safe.
/// </summary>
public sealed partial class LowPriorityWorker : IDisposable
{
    private const int PrioProcess = 0;
    private const int LowestNice = 19;
    private const int SchedIdle = 5;

    private readonly BlockingCollection<Action> _queue = [];
    private readonly Thread _thread;
    private readonly bool _idleCpuGroup;
    private readonly TaskCompletionSource<string?> _prioritySet = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Starts the worker thread.</summary>
    /// <param name="name">The thread's name, for diagnostics.</param>
    /// <param name="idleCpuGroup">
    /// Whether to also move the thread into the idle cpu cgroup where the process may (see <see cref="IdleCpuGroup"/>);
    /// false keeps it to the thread's own policy and nice value.
    /// </param>
    public LowPriorityWorker(string name, bool idleCpuGroup = true)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        _idleCpuGroup = idleCpuGroup;
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>
    /// Gets whether the thread's priority was actually lowered (false where the platform refused); waits for the thread
    /// to start.
    /// </summary>
    public bool PriorityLowered => Priority is not null;

    /// <summary>
    /// Gets how the thread's priority was lowered, e.g. <c>SCHED_IDLE, nice 19, cgroup tenantrag-background (cpu.idle)</c>;
    /// null where the platform refused. Waits for the thread to start.
    /// </summary>
    public string? Priority => _prioritySet.Task.GetAwaiter().GetResult();

    /// <summary>Runs <paramref name="work"/> on the worker thread and returns its result (or exception).</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="work">The work; it runs after all work queued before it.</param>
    /// <param name="cancellationToken">Cancels the work if it has not started yet.</param>
    /// <returns>The work's result.</returns>
    /// <exception cref="ObjectDisposedException">The worker has been disposed.</exception>
    public Task<T> RunAsync<T>(Func<T> work, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            _queue.Add(() =>
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    completion.TrySetCanceled(cancellationToken);
                    return;
                }

                try
                {
                    completion.TrySetResult(work());
                }
                catch (OperationCanceledException exception) when (exception.CancellationToken == cancellationToken && cancellationToken.IsCancellationRequested)
                {
                    completion.TrySetCanceled(cancellationToken);
                }
                catch (Exception exception)
                {
                    completion.TrySetException(exception);
                }
            }, CancellationToken.None);
        }
        catch (InvalidOperationException)
        {
            throw new ObjectDisposedException(nameof(LowPriorityWorker));
        }

        return completion.Task;
    }

    /// <summary>Lets queued work finish, then ends the thread.</summary>
    public void Dispose()
    {
        if (!_queue.IsAddingCompleted)
        {
            _queue.CompleteAdding();
            if (Thread.CurrentThread != _thread)
            {
                _thread.Join();
            }

            _queue.Dispose();
        }
    }

    private void Run()
    {
        _prioritySet.TrySetResult(TryLowerPriority(_idleCpuGroup));
        foreach (var work in _queue.GetConsumingEnumerable())
        {
            work();
        }
    }

    // Linux gives each thread its own policy and nice value: calls on the thread id change this thread only. Elsewhere .NET's
    // thread priority is the portable knob (on Linux it does nothing for an unprivileged process).
    private static string? TryLowerPriority(bool idleCpuGroup)
    {
        if (OperatingSystem.IsLinux())
        {
            try
            {
                // SCHED_IDLE runs the thread only when nothing else of its scheduling group wants the core (its weight is a
                // fifth of nice 19's); nice 19 stays as the fallback where the scheduling policy cannot be changed. The
                // idle cgroup extends that to the other processes of the machine (PostgreSQL's backends above all).
                var thread = GetThreadId();
                var niced = SetPriority(PrioProcess, thread, LowestNice) == 0;
                var parameters = 0;
                var idle = SetScheduler(thread, SchedIdle, ref parameters) == 0;
                var steps = new List<string>(3);
                if (idle)
                {
                    steps.Add("SCHED_IDLE");
                }

                if (niced)
                {
                    steps.Add("nice 19");
                }

                if (idleCpuGroup && IdleCpuGroup.TryJoin(thread) is { } group)
                {
                    steps.Add(group);
                }

                return steps.Count > 0 ? string.Join(", ", steps) : null;
            }
            catch (Exception exception) when (exception is DllNotFoundException or EntryPointNotFoundException)
            {
                return null;
            }
        }

        Thread.CurrentThread.Priority = ThreadPriority.Lowest;
        return "lowest thread priority";
    }

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetThreadId();

    [LibraryImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static partial int SetPriority(int which, int who, int priority);

    // struct sched_param is one int (the static priority, 0 for SCHED_IDLE).
    [LibraryImport("libc", EntryPoint = "sched_setscheduler", SetLastError = true)]
    private static partial int SetScheduler(int pid, int policy, ref int parameters);
}
