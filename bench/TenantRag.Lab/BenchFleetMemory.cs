using System.Globalization;

namespace TenantRag.Lab;

/// <summary>
/// Resident memory of processes from <c>/proc</c>: the resident set (VmRSS) and, where readable, the proportional set
/// (Pss, from <c>smaps_rollup</c>), which counts a shared page once across the processes that share it. PostgreSQL's
/// backends all map the same shared buffers, so their RSS summed counts those pages once per backend; their PSS
/// summed does not.
/// </summary>
internal static class BenchFleetMemory
{
    /// <summary>RSS and PSS of <paramref name="pid"/> in bytes (PSS null when unreadable); null when the process is gone.</summary>
    public static (long Rss, long? Pss)? Resident(int pid)
    {
        var rss = Kilobytes($"/proc/{pid}/status", "VmRSS:");
        return rss is null ? null : (rss.Value * 1024, Kilobytes($"/proc/{pid}/smaps_rollup", "Pss:") * 1024);
    }

    /// <summary>
    /// The postmaster of the cluster in <paramref name="dataDirectory"/> and every process it started (backends,
    /// checkpointer, writers): how many, their RSS summed and their PSS summed (null when any is unreadable).
    /// </summary>
    public static BenchFleetClusterMemory Cluster(string dataDirectory)
    {
        var postmaster = Postmaster(dataDirectory);
        if (postmaster is null)
        {
            return new BenchFleetClusterMemory(0, 0, null);
        }

        var pids = new List<int> { postmaster.Value };
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && ParentOf(pid) == postmaster)
            {
                pids.Add(pid);
            }
        }

        long rss = 0, pss = 0;
        var pssKnown = true;
        var counted = 0;
        foreach (var pid in pids)
        {
            if (Resident(pid) is not { } memory)
            {
                continue;
            }

            counted++;
            rss += memory.Rss;
            pssKnown &= memory.Pss is not null;
            pss += memory.Pss ?? 0;
        }

        return new BenchFleetClusterMemory(counted, rss, pssKnown ? pss : null);
    }

    private static int? Postmaster(string dataDirectory)
    {
        try
        {
            var first = File.ReadLines(Path.Combine(dataDirectory, "postmaster.pid")).FirstOrDefault();
            return int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    // Field 4 of /proc/<pid>/stat, after the command name in parentheses (which may itself hold spaces or parentheses).
    private static int? ParentOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return fields.Length > 1 && int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var parent) ? parent : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static long? Kilobytes(string path, string key)
    {
        try
        {
            foreach (var line in File.ReadLines(path))
            {
                if (line.StartsWith(key, StringComparison.Ordinal))
                {
                    var value = line[key.Length..].Trim().Split(' ')[0];
                    return long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var kb) ? kb : null;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        return null;
    }
}

/// <summary>Memory of a PostgreSQL cluster's processes: how many, RSS summed, PSS summed (null when unreadable).</summary>
internal sealed record BenchFleetClusterMemory(int Processes, long RssBytes, long? PssBytes);
