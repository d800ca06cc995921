using System.Diagnostics;

namespace TenantRag.Rag.Embeddings;

/// <summary>
/// Counts foreground work in progress (searches), so background work (upload embedding on a
/// <see cref="LowPriorityWorker"/>) can step back while it runs. Thread-safe.
/// </summary>
/// <remarks>
/// The operating system's idle priority alone is not enough on a machine shared with PostgreSQL: the kernel balances CPU
/// between scheduling groups (autogroups, cgroups) before it looks at thread priorities, and an idle-priority thread still
/// took a sixth of the CPU from searches whose time is split between this process and the database (measured with
/// <c>tenantrag bench api</c>). Background work that pauses between batches while searches run leaves them that time.
/// </remarks>
public sealed class ForegroundActivity
{
    // Stopwatch timestamps count from the machine's boot, so 0 is not "long ago" on a machine booted minutes ago.
    private const long NeverEnded = long.MinValue;

    private int _inFlight;
    private long _lastEnded = NeverEnded;

    /// <summary>
    /// Raised on the thread that calls <see cref="Begin"/> when foreground work starts while none was running, so that
    /// background work raised while searches were quiet can step back at once. Handlers must be quick and must not throw.
    /// </summary>
    public event Action? Started;

    /// <summary>Marks one unit of foreground work as running until the returned scope is disposed.</summary>
    public Scope Begin()
    {
        if (Interlocked.Increment(ref _inFlight) == 1)
        {
            Started?.Invoke();
        }

        return new Scope(this);
    }

    /// <summary>Gets whether foreground work is running now or ended less than <paramref name="within"/> ago.</summary>
    public bool IsActive(TimeSpan within)
    {
        if (Volatile.Read(ref _inFlight) > 0)
        {
            return true;
        }

        var lastEnded = Interlocked.Read(ref _lastEnded);
        return lastEnded != NeverEnded && Stopwatch.GetElapsedTime(lastEnded) < within;
    }

    private void End()
    {
        Interlocked.Exchange(ref _lastEnded, Stopwatch.GetTimestamp());
        Interlocked.Decrement(ref _inFlight);
    }

    /// <summary>One unit of foreground work; dispose it when the work ends.</summary>
    public readonly struct Scope(ForegroundActivity? owner) : IDisposable
    {
        /// <inheritdoc />
        public void Dispose() => owner?.End();
    }
}
