using System.Diagnostics;
using System.Globalization;

namespace TenantRag.Rag.Embeddings;

/// <summary>The minimum CPU share: accounting, raising and lowering the threads, and pausing for foreground work.</summary>
public sealed partial class LowPriorityWorker
{
    // After a piece of work at idle priority while searches run, a thread pauses for 9x its run time: at most a tenth of a
    // core above the minimum share for the work while searches keep the machine busy.
    private const int ForegroundPauseFactor = 9;

    // The nice value threads are raised to where there is no cgroup and the process may (CAP_SYS_NICE); else 0. Inside the
    // process's autogroup a raised thread competes with the search threads one by one: nice -5 weighs as much as three of them.
    private const int PreferredRaisedNice = -5;

    private static readonly TimeSpan RecentForeground = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan MaxForegroundPause = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan ShareWindow = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan ControlInterval = TimeSpan.FromMilliseconds(10);

    private readonly AutoResetEvent _changed = new(false);
    private readonly IdleCpuGroup? _group;
    private readonly CpuShareBudget? _budget;
    private readonly Raising _raising;
    private readonly int _raisedNice;
    private readonly Thread? _controller;
    private int _raised;
    private int _raises;
    private int _pauses;

    /// <summary>How the threads get their minimum share.</summary>
    internal enum Raising
    {
        /// <summary>No minimum: the threads stay at idle priority.</summary>
        Never,

        /// <summary>The threads' own cgroup leaves idle while they are owed CPU.</summary>
        CpuGroup,

        /// <summary>The threads switch from SCHED_IDLE to SCHED_OTHER while they are owed CPU.</summary>
        ThreadPolicy,

        /// <summary>
        /// The process may lower a thread's priority but never raise it again: the threads stay at normal priority and keep
        /// to their share by pausing while foreground work runs.
        /// </summary>
        KeptNormal,
    }

    /// <summary>
    /// Gets how the minimum share is made real, e.g. <c>at least 0.25 of a core: cpu.idle 0 while below it</c>; null without one.
    /// </summary>
    public string? MinimumShare => _budget is not { } budget ? null : string.Create(CultureInfo.InvariantCulture, $"at least {budget.Share} of a core: ") + _raising switch
    {
        Raising.CpuGroup => $"{_group!.Name} raised to {_group.RaisedDescription} while below it",
        Raising.ThreadPolicy => string.Create(CultureInfo.InvariantCulture, $"raised to SCHED_OTHER, nice {_raisedNice} while below it"),
        _ => "threads kept at normal priority (this process may not raise a lowered thread again), pausing while searches run once they have had it",
    };

    /// <summary>Gets whether the threads are raised now.</summary>
    internal bool Raised => Volatile.Read(ref _raised) != 0;

    /// <summary>Gets how many times the threads have been raised.</summary>
    internal int Raises => Volatile.Read(ref _raises);

    /// <summary>Gets how the threads get their minimum share.</summary>
    internal Raising Mode => _raising;

    /// <summary>Gets how many times a thread has paused for foreground work.</summary>
    internal int Pauses => Volatile.Read(ref _pauses);

    /// <summary>
    /// How long a thread pauses after a piece of work that took <paramref name="wall"/> while foreground work is active:
    /// none while the work is owed CPU (<paramref name="untilOwed"/> zero: the next piece runs raised); with no minimum
    /// (<paramref name="untilOwed"/> null) or at idle priority, <see cref="ForegroundPauseFactor"/> times the piece but
    /// no longer than until it is owed again; at normal priority (<paramref name="keptNormal"/>), until it is owed again.
    /// Never longer than <see cref="MaxForegroundPause"/>.
    /// </summary>
    internal static TimeSpan PauseAfter(TimeSpan wall, TimeSpan? untilOwed, bool keptNormal)
    {
        if (untilOwed == TimeSpan.Zero)
        {
            return TimeSpan.Zero;
        }

        var pause = keptNormal && untilOwed is { } owedIn ? owedIn : wall * ForegroundPauseFactor;
        if (untilOwed is { } until && until < pause)
        {
            pause = until;
        }

        return pause < MaxForegroundPause ? pause : MaxForegroundPause;
    }

    /// <summary>
    /// Whether the threads should run raised: they have work, and have had less than their share, or no foreground work
    /// (search) is running (they then take a fair share next to the machine's other work, not only what it leaves), or
    /// the worker is finishing its last work.
    /// </summary>
    internal static bool ShouldRaise(bool busy, bool owed, bool foregroundQuiet, bool finishing) => busy && (owed || foregroundQuiet || finishing);

    /// <summary>
    /// How threads get a minimum share of <paramref name="minCpuShare"/> cores: none without one; by their cgroup where they
    /// have one; else by their scheduling policy where <paramref name="raisableNice"/> (asked only then) finds a nice value the
    /// process may raise a lowered thread to; else kept at normal priority.
    /// </summary>
    internal static (Raising Raising, int Nice) ChooseRaising(double minCpuShare, bool hasGroup, Func<int?> raisableNice)
    {
        if (minCpuShare <= 0)
        {
            return (Raising.Never, 0);
        }

        if (hasGroup)
        {
            return (Raising.CpuGroup, 0);
        }

        return raisableNice() is { } nice ? (Raising.ThreadPolicy, nice) : (Raising.KeptNormal, 0);
    }

    // Runs at normal priority (a thread at idle priority could not be sure to get the CPU to raise the others), waking at
    // every change (a search starting included) and every few milliseconds while there is work.
    private void Control()
    {
        var raised = false;
        while (true)
        {
            bool busy, finishing;
            lock (_gate)
            {
                busy = _queue.Count > 0 || _running > 0;
                finishing = _completed;
            }

            if (finishing && !busy)
            {
                return;
            }

            var raise = ShouldRaise(busy, _budget!.IsOwed(Stopwatch.GetTimestamp()), _foreground is not null && !ForegroundActive, finishing);
            if (raise != raised)
            {
                Apply(raise);
                raised = raise;
            }

            _changed.WaitOne(busy ? ControlInterval : Timeout.InfiniteTimeSpan);
        }
    }

    private void Apply(bool raise)
    {
        switch (_raising)
        {
            case Raising.ThreadPolicy:
                foreach (var thread in _threadIds)
                {
                    _ = raise ? ThreadScheduling.Raise(thread, _raisedNice) : ThreadScheduling.Lower(thread) is not null;
                }

                break;
            case Raising.CpuGroup:
            case Raising.Never when _group is not null:
                _group!.SetRaised(raise);
                break;
            default:
                return;
        }

        Volatile.Write(ref _raised, raise ? 1 : 0);
        if (raise)
        {
            Interlocked.Increment(ref _raises);
        }
    }

    private void StepBack(TimeSpan wall, long now)
    {
        if (!ForegroundActive || _stopping.IsSet)
        {
            return;
        }

        var pause = PauseAfter(wall, _budget?.UntilOwed(now), _raising == Raising.KeptNormal);
        if (pause > TimeSpan.Zero)
        {
            Interlocked.Increment(ref _pauses);
            _stopping.Wait(pause);
        }
    }

    private void Signal()
    {
        try
        {
            _changed.Set();
        }
        catch (ObjectDisposedException)
        {
            // Disposed meanwhile: nothing is left to control.
        }
    }
}
