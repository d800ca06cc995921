using System.Globalization;

namespace TenantRag.Rag.Embeddings;

/// <summary>
/// A child of its process's cgroup-v1 <c>cpu</c> group, of one <see cref="LowPriorityWorker"/>'s threads, that the kernel
/// schedules as idle (<c>cpu.idle = 1</c>, or the smallest <c>cpu.shares</c> on kernels without it) and that can be raised
/// to an ordinary group's weight while the worker is owed its minimum share, where the process may create one.
/// </summary>
/// <remarks>
/// SCHED_IDLE and nice only rank threads against others of the same scheduling group. With autogroup scheduling
/// (<c>kernel.sched_autogroup_enabled = 1</c>, the default of many distributions) every session is such a group:
/// PostgreSQL started by <c>pg_ctl</c> is one, TenantRag another, and the kernel splits the CPU evenly between groups
/// with work to do. An idle-priority thread then gets half the CPU whenever it is the only runnable thread of its
/// process, even while PostgreSQL backends serving queries wait (measured: embedding uploads took a third of both
/// cores and the searches' p99 rose 2.5-fold). A cgroup of its own with <c>cpu.idle</c> takes the thread out of the
/// autogroup and ranks it below every other group.
/// <para>
/// Raising the group (<c>cpu.idle = 0</c>: the weight of one session, 1024) gives its threads a session's share of the
/// machine however many threads other processes run, which no nice value inside the process's autogroup can (measured
/// with 4 busy threads in the process and 4 in another session: 0.41 of a core for the raised group, 0.13 for a nice-0
/// thread, 0.21 at nice -5; with 16 in the process: 0.49, 0.05 and 0.15). The group is the worker's own, named after
/// the process and a sequence number, so workers never raise each other's threads; groups left by processes that died
/// are removed when the next one is created. Threads in the group keep SCHED_IDLE, so a search thread that wakes on their
/// core still runs first; the group's weight then gives them their share back over the following milliseconds.
/// </para>
/// Needs a writable cgroup-v1 <c>cpu</c> hierarchy (root, or delegated); elsewhere (read-only in containers, cgroup v2
/// where one thread cannot leave its process's group) there is no group and the caller keeps to thread priorities.
/// </remarks>
internal sealed class IdleCpuGroup : IDisposable
{
    /// <summary>What every such group's name starts with, followed by <c>-{process id}-{sequence}</c>.</summary>
    internal const string NamePrefix = "tenantrag-background";

    private const string TasksFile = "tasks";
    private static int s_sequence;

    private readonly string _parent;
    private readonly string _directory;
    private readonly bool _hasIdle;
    private int _disposed;

    private IdleCpuGroup(string parent, string name, bool hasIdle)
    {
        _parent = parent;
        Name = name;
        _directory = Path.Combine(parent, name);
        _hasIdle = hasIdle;
    }

    /// <summary>The group's name (a directory beside the process's own group).</summary>
    public string Name { get; }

    /// <summary>How the group ranks when idle, e.g. <c>cgroup tenantrag-background-41-1 (cpu.idle)</c>.</summary>
    public string Description => $"cgroup {Name} ({(_hasIdle ? "cpu.idle" : "cpu.shares 2")})";

    /// <summary>What raising the group sets, e.g. <c>cpu.idle 0</c>.</summary>
    public string RaisedDescription => _hasIdle ? "cpu.idle 0" : "cpu.shares 1024";

    /// <summary>Creates an idle group of its own; null where the process may not.</summary>
    public static IdleCpuGroup? TryCreate()
    {
        try
        {
            if (FindCpuGroupDirectory() is not { } parent)
            {
                return null;
            }

            RemoveAbandoned(parent);
            var name = string.Create(CultureInfo.InvariantCulture,
                $"{NamePrefix}-{Environment.ProcessId}-{Interlocked.Increment(ref s_sequence)}");
            var directory = Path.Combine(parent, name);
            Directory.CreateDirectory(directory);
            var group = new IdleCpuGroup(parent, name, File.Exists(Path.Combine(directory, "cpu.idle")));
            if (!group.SetRaised(false))
            {
                group.Dispose();
                return null;
            }

            return group;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Moves the calling thread into the group; false where refused.</summary>
    public bool JoinCurrentThread() => MoveCurrentThread(_directory);

    /// <summary>Moves the calling thread back to its process's group; false where refused.</summary>
    public bool LeaveCurrentThread() => MoveCurrentThread(_parent);

    /// <summary>
    /// Moves every thread of the group but <paramref name="members"/> back to the process's group at SCHED_OTHER, nice 0;
    /// returns how many it moved.
    /// </summary>
    public int MoveOutStrays(IReadOnlyCollection<int> members)
    {
        var moved = 0;
        try
        {
            foreach (var line in File.ReadAllLines(Path.Combine(_directory, TasksFile)))
            {
                if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var thread) && !members.Contains(thread))
                {
                    // Its priority first: a thread that sees itself out of the group then already runs at nice 0.
                    ThreadScheduling.Raise(thread, 0);
                    File.WriteAllText(Path.Combine(_parent, TasksFile), thread.ToString(CultureInfo.InvariantCulture));
                    moved++;
                }
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // The thread ended meanwhile, or the group is gone.
        }

        return moved;
    }

    /// <summary>Gives the group the weight of one session (true) or the idle weight (false); false where refused.</summary>
    public bool SetRaised(bool raised)
    {
        try
        {
            if (_hasIdle)
            {
                File.WriteAllText(Path.Combine(_directory, "cpu.idle"), raised ? "0" : "1");
            }
            else
            {
                File.WriteAllText(Path.Combine(_directory, "cpu.shares"), raised ? "1024" : "2");
            }

            return true;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Removes the group once its threads have left it (it is kept, empty, where they have not).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            // A thread that has just left or ended may still be counted for a moment.
            for (var attempt = 0; attempt < 20 && Directory.Exists(_directory); attempt++)
            {
                try
                {
                    Directory.Delete(_directory);
                }
                catch (IOException)
                {
                    Thread.Sleep(10);
                }
                catch (UnauthorizedAccessException)
                {
                    return;
                }
            }
        }
    }

    // Writing 0 moves the calling thread alone, which the kernel does without stopping other processes' forks.
    private static bool MoveCurrentThread(string directory)
    {
        try
        {
            File.WriteAllText(Path.Combine(directory, TasksFile), "0");
            return true;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    // Groups of processes that no longer run (killed before they could remove theirs); a group still in use is not empty,
    // and the kernel refuses to remove it.
    private static void RemoveAbandoned(string parent)
    {
        foreach (var directory in Directory.EnumerateDirectories(parent, NamePrefix + "-*"))
        {
            var parts = Path.GetFileName(directory).Split('-');
            if (parts.Length == 4 && int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && pid != Environment.ProcessId && !Directory.Exists($"/proc/{pid}"))
            {
                try
                {
                    Directory.Delete(directory);
                }
                catch (IOException)
                {
                    // In use after all (the id was reused), or removed by another process meanwhile.
                }
            }
        }
    }

    /// <summary>The directory of this process's group in a mounted cgroup-v1 hierarchy that has the cpu controller.</summary>
    private static string? FindCpuGroupDirectory()
    {
        // /proc/self/cgroup: "hierarchy-id:controllers:path", e.g. "1:cpu,cpuacct:/user.slice"; cgroup v2 is "0::/path".
        string? groupPath = null;
        foreach (var line in File.ReadLines("/proc/self/cgroup"))
        {
            var parts = line.Split(':', 3);
            if (parts.Length == 3 && parts[1].Split(',').Contains("cpu", StringComparer.Ordinal))
            {
                groupPath = parts[2];
                break;
            }
        }

        if (groupPath is null)
        {
            return null;
        }

        // /proc/self/mountinfo: "id parent major:minor root mount-point options ... - fstype source super-options".
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            var separator = line.IndexOf(" - ", StringComparison.Ordinal);
            if (separator < 0)
            {
                continue;
            }

            var fields = line[..separator].Split(' ');
            var tail = line[(separator + 3)..].Split(' ');
            if (fields.Length < 5 || tail.Length < 3 || tail[0] != "cgroup" || !tail[2].Split(',').Contains("cpu", StringComparer.Ordinal))
            {
                continue;
            }

            // The mount shows the hierarchy from its root; the process's path is relative to the hierarchy's root.
            var root = fields[3];
            if (!groupPath.StartsWith(root, StringComparison.Ordinal))
            {
                return null;
            }

            var relative = groupPath[root.Length..].TrimStart('/');
            return Path.Combine(fields[4], relative);
        }

        return null;
    }
}
