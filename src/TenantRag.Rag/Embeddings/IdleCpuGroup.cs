namespace TenantRag.Rag.Embeddings;

/// <summary>
/// Moves a thread into a child of its process's cgroup-v1 <c>cpu</c> group that the kernel schedules as idle
/// (<c>cpu.idle = 1</c>, or the smallest <c>cpu.shares</c> on kernels without it), where the process may create one.
/// </summary>
/// <remarks>
/// SCHED_IDLE and nice only rank threads against others of the same scheduling group. With autogroup scheduling
/// (<c>kernel.sched_autogroup_enabled = 1</c>, the default of many distributions) every session is such a group:
/// PostgreSQL started by <c>pg_ctl</c> is one, TenantRag another, and the kernel splits the CPU evenly between groups
/// with work to do. An idle-priority thread then gets half the CPU whenever it is the only runnable thread of its
/// process, even while PostgreSQL backends serving queries wait (measured: embedding uploads took a third of both
/// cores and the searches' p99 rose 2.5-fold). A cgroup of its own with <c>cpu.idle</c> takes the thread out of the
/// autogroup and ranks it below every other group. Needs a writable cgroup-v1 <c>cpu</c> hierarchy (root, or
/// delegated); elsewhere (read-only in containers, cgroup v2 where one thread cannot leave its process's group)
/// nothing changes and the caller keeps SCHED_IDLE alone.
/// </remarks>
internal static class IdleCpuGroup
{
    internal const string GroupName = "tenantrag-background";

    /// <summary>Tries to move thread <paramref name="threadId"/> into the idle group; returns how, or null where it cannot.</summary>
    internal static string? TryJoin(int threadId)
    {
        try
        {
            if (FindCpuGroupDirectory() is not { } parent)
            {
                return null;
            }

            var group = Path.Combine(parent, GroupName);
            Directory.CreateDirectory(group);
            string mode;
            if (File.Exists(Path.Combine(group, "cpu.idle")))
            {
                File.WriteAllText(Path.Combine(group, "cpu.idle"), "1");
                mode = "cpu.idle";
            }
            else
            {
                File.WriteAllText(Path.Combine(group, "cpu.shares"), "2");
                mode = "cpu.shares 2";
            }

            File.WriteAllText(Path.Combine(group, "tasks"), threadId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            return $"cgroup {GroupName} ({mode})";
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
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
