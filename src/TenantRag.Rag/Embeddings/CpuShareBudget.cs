using System.Diagnostics;

namespace TenantRag.Rag.Embeddings;

/// <summary>
/// Whether background work has had its minimum share of the CPU lately: credit accrues at <c>share</c> cores of CPU time
/// per second of wall time, and the CPU time each piece of work used (its thread's own clock) is charged against it. The
/// work is owed CPU while the balance is positive. Thread-safe; times are <see cref="Stopwatch"/> timestamps, so the
/// accounting can be tested without waiting.
/// </summary>
/// <remarks>
/// The balance stays within one window's worth of the share either way: a long spell without work does not save up more
/// than a window of credit to spend in one burst, and work that ran on idle CPU for minutes while nothing else wanted it
/// is not made to wait more than a window once something else does.
/// </remarks>
internal sealed class CpuShareBudget
{
    private readonly Lock _lock = new();
    private readonly double _limitSeconds;
    private double _balanceSeconds;
    private long _updated;

    /// <param name="share">Cores of CPU time owed per second (above 0).</param>
    /// <param name="window">How far credit and debt reach (above 0).</param>
    /// <param name="now">The starting timestamp; the budget starts with a full window of credit.</param>
    public CpuShareBudget(double share, TimeSpan window, long now)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(share);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        Share = share;
        _limitSeconds = share * window.TotalSeconds;
        _balanceSeconds = _limitSeconds;
        _updated = now;
    }

    /// <summary>Cores of CPU time owed per second.</summary>
    public double Share { get; }

    /// <summary>CPU time owed now (positive) or used ahead of the share (negative).</summary>
    public TimeSpan Balance(long now)
    {
        lock (_lock)
        {
            Accrue(now);
            return TimeSpan.FromSeconds(_balanceSeconds);
        }
    }

    /// <summary>Charges <paramref name="cpu"/> of CPU time used, at <paramref name="now"/>.</summary>
    public void Charge(TimeSpan cpu, long now)
    {
        lock (_lock)
        {
            Accrue(now);
            _balanceSeconds = Math.Max(-_limitSeconds, _balanceSeconds - Math.Max(0, cpu.TotalSeconds));
        }
    }

    /// <summary>Whether the work is owed CPU at <paramref name="now"/>: it has had less than its share lately.</summary>
    public bool IsOwed(long now)
    {
        lock (_lock)
        {
            Accrue(now);
            return _balanceSeconds > 0;
        }
    }

    /// <summary>How long from <paramref name="now"/>, without further charges, until the work is owed CPU again.</summary>
    public TimeSpan UntilOwed(long now)
    {
        lock (_lock)
        {
            Accrue(now);
            return _balanceSeconds > 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-_balanceSeconds / Share);
        }
    }

    private void Accrue(long now)
    {
        if (now > _updated)
        {
            var seconds = (now - _updated) / (double)Stopwatch.Frequency;
            _balanceSeconds = Math.Min(_limitSeconds, _balanceSeconds + (seconds * Share));
            _updated = now;
        }
    }
}
