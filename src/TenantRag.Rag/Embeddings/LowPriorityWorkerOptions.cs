namespace TenantRag.Rag.Embeddings;

/// <summary>Settings of <see cref="LowPriorityWorker"/>.</summary>
public sealed class LowPriorityWorkerOptions
{
    /// <summary>The most cores of CPU time <see cref="MinCpuShare"/> may ask for.</summary>
    public const double MaxMinCpuShare = 1;

    /// <summary>
    /// Gets or sets whether the threads also join an idle cpu cgroup of their own where the process may create one (see
    /// <see cref="IdleCpuGroup"/>); default <see langword="true"/>. False keeps them to their own policy and nice value.
    /// </summary>
    public bool IdleCpuGroup { get; set; } = true;

    /// <summary>
    /// Gets or sets the number of threads (1 to 64, default 1). With more than one, queued work runs on several at once,
    /// but only while <see cref="Foreground"/> is quiet; while it is active, one thread takes work.
    /// </summary>
    public int Threads { get; set; } = 1;

    /// <summary>
    /// Gets or sets the cores of CPU time (0 to <see cref="MaxMinCpuShare"/>) the work gets at least, whatever else the
    /// machine runs: while the threads have had less than this over the last second, by their own CPU clocks, they run
    /// raised (their cgroup at an ordinary group's weight, or SCHED_OTHER where there is no cgroup), and above it they go
    /// back to idle priority. 0 (the default) never raises them: the work gets only the CPU time nothing else wants.
    /// </summary>
    public double MinCpuShare { get; set; }

    /// <summary>
    /// Gets or sets the foreground work (searches) the threads step back for: after each piece of work run at idle
    /// priority while such work is active, a thread pauses for nine times the piece's duration (at most a second, and no
    /// longer than until it is owed its <see cref="MinCpuShare"/>). Null (the default) never pauses.
    /// </summary>
    public ForegroundActivity? Foreground { get; set; }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> when a setting is out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Threads, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Threads, 64);
        if (!(MinCpuShare is >= 0 and <= MaxMinCpuShare))
        {
            throw new ArgumentOutOfRangeException(nameof(MinCpuShare), MinCpuShare, $"Give 0 to {MaxMinCpuShare} cores.");
        }
    }
}
