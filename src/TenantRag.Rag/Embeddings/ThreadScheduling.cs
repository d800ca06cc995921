using System.Runtime.InteropServices;

namespace TenantRag.Rag.Embeddings;

/// <summary>
/// Linux scheduling of single threads: each thread has its own policy and nice value, addressed by its thread id, and its
/// own CPU clock. Every call reports failure instead of throwing, since what a process may do depends on its privileges.
/// </summary>
internal static partial class ThreadScheduling
{
    /// <summary>The lowest priority nice value.</summary>
    public const int LowestNice = 19;

    private const int PrioProcess = 0;
    private const int SchedOther = 0;
    private const int SchedIdle = 5;
    private const int ClockThreadCpuTime = 3;

    private static readonly Lock ProbeLock = new();
    private static readonly Dictionary<int, int?> Probed = [];

    /// <summary>The calling thread's kernel id, or 0 where the platform has none.</summary>
    public static int CurrentThreadId()
    {
        try
        {
            return GetThreadId();
        }
        catch (Exception exception) when (exception is DllNotFoundException or EntryPointNotFoundException)
        {
            return 0;
        }
    }

    /// <summary>
    /// Puts thread <paramref name="threadId"/> under SCHED_IDLE at nice 19 (nice alone where the policy is refused); returns
    /// what took effect, or null when nothing did.
    /// </summary>
    public static string? Lower(int threadId)
    {
        try
        {
            // SCHED_IDLE runs the thread only when nothing else of its scheduling group wants the core (its weight is a fifth
            // of nice 19's); nice 19 stays as the fallback where the scheduling policy cannot be changed.
            var niced = SetPriority(PrioProcess, threadId, LowestNice) == 0;
            var parameters = 0;
            var idle = SetScheduler(threadId, SchedIdle, ref parameters) == 0;
            return (idle, niced) switch
            {
                (true, true) => "SCHED_IDLE, nice 19",
                (true, false) => "SCHED_IDLE",
                (false, true) => "nice 19",
                _ => null,
            };
        }
        catch (Exception exception) when (exception is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Puts thread <paramref name="threadId"/> under SCHED_OTHER at <paramref name="nice"/>; false when refused.</summary>
    public static bool Raise(int threadId, int nice)
    {
        try
        {
            var parameters = 0;
            return SetScheduler(threadId, SchedOther, ref parameters) == 0 && SetPriority(PrioProcess, threadId, nice) == 0;
        }
        catch (Exception exception) when (exception is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    /// <summary>The CPU time the calling thread has used so far, or null where its clock cannot be read.</summary>
    public static TimeSpan? CurrentThreadCpuTime()
    {
        try
        {
            return GetClockTime(ClockThreadCpuTime, out var time) == 0
                ? TimeSpan.FromTicks((time.Seconds * TimeSpan.TicksPerSecond) + (time.Nanoseconds / 100))
                : null;
        }
        catch (Exception exception) when (exception is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    /// <summary>
    /// The nice value a thread of this process can be raised to after it was lowered to SCHED_IDLE: <paramref name="preferred"/>
    /// (a negative value needs CAP_SYS_NICE or a high enough RLIMIT_NICE), else 0, else null (an unprivileged process with
    /// the default RLIMIT_NICE of 0 may lower a thread's priority but never raise it again). Tried once per value on a
    /// short-lived thread of its own, since the kernel's answer also depends on capabilities, limits and security modules.
    /// </summary>
    public static int? RaisableNice(int preferred)
    {
        lock (ProbeLock)
        {
            if (!Probed.TryGetValue(preferred, out var nice))
            {
                var probe = new Thread(() =>
                {
                    var thread = CurrentThreadId();
                    nice = thread == 0 || Lower(thread) is null ? null
                        : Raise(thread, preferred) ? preferred
                        : Raise(thread, 0) ? 0
                        : null;
                }) { IsBackground = true, Name = "scheduling probe" };
                probe.Start();
                probe.Join();
                Probed[preferred] = nice;
            }

            return nice;
        }
    }

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetThreadId();

    [LibraryImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static partial int SetPriority(int which, int who, int priority);

    // struct sched_param is one int (the static priority, 0 for SCHED_OTHER and SCHED_IDLE).
    [LibraryImport("libc", EntryPoint = "sched_setscheduler", SetLastError = true)]
    private static partial int SetScheduler(int pid, int policy, ref int parameters);

    [LibraryImport("libc", EntryPoint = "clock_gettime", SetLastError = true)]
    private static partial int GetClockTime(int clock, out TimeSpec time);

    // struct timespec on 64-bit Linux: two longs.
    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
