using System.Collections.Concurrent;
using System.Diagnostics;

namespace TenantRag.Rag.Embeddings;

/// <summary>
/// Dedicated threads that run queued work at the lowest CPU priority the operating system offers (on Linux the
/// SCHED_IDLE policy and nice 19, and where the process may, an idle cpu cgroup of their own: see <see cref="IdleCpuGroup"/>),
/// so background work such as embedding uploads takes only CPU time that foreground work (queries, and the database
/// backends serving them) leaves idle; with <see cref="LowPriorityWorkerOptions.MinCpuShare"/>, never less than that share
/// of a core, whatever else runs. Thread-safe.
/// </summary>
/// <remarks>
/// With one thread (the default) work items run one at a time, in order. With more, they run in order of queueing but
/// several at once, and the extra threads take work only while <see cref="LowPriorityWorkerOptions.Foreground"/> is quiet.
/// </remarks>
public sealed partial class LowPriorityWorker : IDisposable
{
    private readonly object _gate = new();
    private readonly Queue<Action> _queue = new();
    private readonly Thread[] _threads;
    private readonly int[] _threadIds;
    private readonly ForegroundActivity? _foreground;
    private readonly ManualResetEventSlim _stopping = new();
    private readonly BlockingCollection<Action> _results = [];
    private readonly Thread _resultsThread;
    private string? _priority;
    private bool _completed;
    private int _running;
    private long _cpuTicks;
    private int _disposed;

    /// <summary>Starts the worker's one thread.</summary>
    /// <param name="name">The thread's name, for diagnostics.</param>
    /// <param name="idleCpuGroup">
    /// Whether to also move the thread into an idle cpu cgroup where the process may (see <see cref="IdleCpuGroup"/>);
    /// false keeps it to the thread's own policy and nice value.
    /// </param>
    public LowPriorityWorker(string name, bool idleCpuGroup = true)
        : this(name, new LowPriorityWorkerOptions { IdleCpuGroup = idleCpuGroup })
    {
    }

    /// <summary>Starts the worker's threads.</summary>
    /// <param name="name">The threads' name, for diagnostics.</param>
    /// <param name="options">Threads, minimum CPU share, foreground work to step back for, cgroup.</param>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    public LowPriorityWorker(string name, LowPriorityWorkerOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _foreground = options.Foreground;
        _group = options.IdleCpuGroup && OperatingSystem.IsLinux() ? IdleCpuGroup.TryCreate() : null;
        (_raising, _raisedNice) = ChooseRaising(options.MinCpuShare, _group is not null,
            () => OperatingSystem.IsLinux() ? ThreadScheduling.RaisableNice(PreferredRaisedNice) : null);
        _budget = options.MinCpuShare > 0 ? new CpuShareBudget(options.MinCpuShare, ShareWindow, Stopwatch.GetTimestamp()) : null;

        _resultsThread = new Thread(DeliverResults) { IsBackground = true, Name = $"{name} (results)" };
        _resultsThread.Start();
        _threads = new Thread[options.Threads];
        _threadIds = new int[options.Threads];
        using var started = new CountdownEvent(options.Threads);
        for (var i = 0; i < _threads.Length; i++)
        {
            var index = i;
            _threads[i] = new Thread(() => Run(index, started)) { IsBackground = true, Name = options.Threads == 1 ? name : $"{name} {i + 1}" };
            _threads[i].Start();
        }

        // The controller changes every thread's priority at once: it starts once they all have their ids and lowered priority.
        started.Wait();
        if (_raising is Raising.CpuGroup or Raising.ThreadPolicy)
        {
            _controller = new Thread(Control) { IsBackground = true, Name = $"{name} (share)" };
            _controller.Start();
            if (_foreground is not null)
            {
                _foreground.Started += Signal;
            }
        }
    }

    /// <summary>
    /// Gets whether the threads' priority was lowered (false where the platform refused, or where they stay at normal
    /// priority to keep a minimum share the process could not otherwise guarantee).
    /// </summary>
    public bool PriorityLowered => Priority is not null;

    /// <summary>
    /// Gets how the threads' priority was lowered, e.g. <c>SCHED_IDLE, nice 19, cgroup tenantrag-background-41-1 (cpu.idle)</c>;
    /// null where it was not.
    /// </summary>
    public string? Priority => _priority;

    /// <summary>Gets the CPU time the threads have spent on work so far, by their own clocks.</summary>
    public TimeSpan CpuTime => TimeSpan.FromTicks(Interlocked.Read(ref _cpuTicks));

    /// <summary>Runs <paramref name="work"/> on a worker thread and returns its result (or exception).</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="work">The work; it starts after all work queued before it has started.</param>
    /// <param name="cancellationToken">Cancels the work if it has not started yet.</param>
    /// <returns>The work's result.</returns>
    /// <exception cref="ObjectDisposedException">The worker has been disposed.</exception>
    public Task<T> RunAsync<T>(Func<T> work, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Item()
        {
            if (cancellationToken.IsCancellationRequested)
            {
                Complete(() => completion.TrySetCanceled(cancellationToken));
                return;
            }

            try
            {
                var result = work();
                Complete(() => completion.TrySetResult(result));
            }
            catch (OperationCanceledException exception) when (exception.CancellationToken == cancellationToken && cancellationToken.IsCancellationRequested)
            {
                Complete(() => completion.TrySetCanceled(cancellationToken));
            }
            catch (Exception exception)
            {
                Complete(() => completion.TrySetException(exception));
            }
        }

        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_completed, this);
            _queue.Enqueue(Item);
            Monitor.PulseAll(_gate);
        }

        Signal();
        return completion.Task;
    }

    /// <summary>Lets queued work finish (at raised priority where the process may raise it), then ends the threads.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        lock (_gate)
        {
            _completed = true;
            Monitor.PulseAll(_gate);
        }

        if (_foreground is not null)
        {
            _foreground.Started -= Signal;
        }

        _stopping.Set();
        Signal();
        if (!_threads.Contains(Thread.CurrentThread))
        {
            _controller?.Join();

            // Idle threads on a busy machine could wait long for the CPU to see that they are done.
            Apply(raise: true);
            foreach (var thread in _threads)
            {
                thread.Join();
            }

            _results.CompleteAdding();
            _resultsThread.Join();
            _group?.Dispose();
            _results.Dispose();
            _changed.Dispose();
            _stopping.Dispose();
        }
    }

    private void Run(int index, CountdownEvent started)
    {
        try
        {
            SetUp(index);
        }
        finally
        {
            started.Signal();
        }

        while (TryTake(index, out var work))
        {
            var cpuBefore = ThreadScheduling.CurrentThreadCpuTime();
            var began = Stopwatch.GetTimestamp();
            work();
            var ended = Stopwatch.GetTimestamp();
            var wall = Stopwatch.GetElapsedTime(began, ended);
            var cpu = ThreadScheduling.CurrentThreadCpuTime() - cpuBefore ?? wall;
            Interlocked.Add(ref _cpuTicks, cpu.Ticks);
            _budget?.Charge(cpu, ended);
            lock (_gate)
            {
                _running--;
            }

            Signal();
            StepBack(wall, ended);
        }

        _group?.LeaveCurrentThread();
    }

    // Lowers the calling thread (unless it must stay at normal priority for its share) and moves it into the group.
    private void SetUp(int index)
    {
        var thread = ThreadScheduling.CurrentThreadId();
        _threadIds[index] = thread;
        string? lowered = null;
        if (_raising != Raising.KeptNormal)
        {
            if (thread != 0)
            {
                lowered = ThreadScheduling.Lower(thread);
            }
            else
            {
                // Elsewhere .NET's thread priority is the portable knob (on Linux it does nothing for an unprivileged process).
                Thread.CurrentThread.Priority = ThreadPriority.Lowest;
                lowered = "lowest thread priority";
            }

            if (_group?.JoinCurrentThread() == true)
            {
                lowered = lowered is null ? _group.Description : $"{lowered}, {_group.Description}";
            }
        }

        if (index == 0)
        {
            _priority = lowered;
        }
    }

    // The first thread takes work whenever there is some; the others only while foreground work is quiet, or to finish.
    private bool TryTake(int index, out Action work)
    {
        lock (_gate)
        {
            while (true)
            {
                if (_queue.Count > 0 && (index == 0 || _completed || !ForegroundActive))
                {
                    work = _queue.Dequeue();
                    _running++;
                    break;
                }

                if (_completed && _queue.Count == 0)
                {
                    work = null!;
                    return false;
                }

                Monitor.Wait(_gate, _queue.Count > 0 ? RecentForeground : Timeout.InfiniteTimeSpan);
            }
        }

        Signal();
        return true;
    }

    private bool ForegroundActive => _foreground?.IsActive(RecentForeground) == true;
}
