using System.Diagnostics;
using System.Globalization;
using TenantRag.Postgres.Installation;

namespace TenantRag.Lab;

/// <summary>
/// CPU time used so far by this process (server and load generator) and, for the embedded cluster, by PostgreSQL
/// (the postmaster, its live children, and its reaped children). On a shared machine, CPU per request says more about
/// capacity than requests per second do.
/// </summary>
internal sealed class BenchApiCpu
{
    // Linux reports process times in clock ticks; USER_HZ is 100 on every mainstream kernel.
    private const double TicksPerSecond = 100;

    private readonly int? _postmaster;

    private BenchApiCpu(int? postmaster) => _postmaster = postmaster;

    /// <summary>True when PostgreSQL's CPU can be read (the embedded cluster of this home, on Linux).</summary>
    public bool HasPostgres => _postmaster is not null;

    /// <summary>A meter for this process and, unless the database is external, the embedded cluster of <paramref name="cli"/>'s home.</summary>
    public static BenchApiCpu Create(BenchContext cli)
    {
        var home = cli.Home;
        if (cli.IsExternal)
        {
            return new BenchApiCpu(null);
        }

        try
        {
            var first = File.ReadLines(Path.Combine(home.DataDirectory, "postmaster.pid")).FirstOrDefault();
            return int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && Ticks(pid, includeReaped: true) is not null
                ? new BenchApiCpu(pid)
                : new BenchApiCpu(null);
        }
        catch (IOException)
        {
            return new BenchApiCpu(null);
        }
        catch (UnauthorizedAccessException)
        {
            return new BenchApiCpu(null);
        }
    }

    /// <summary>CPU used so far: this process, and PostgreSQL (null when unknown).</summary>
    public (TimeSpan Process, TimeSpan? Postgres) Sample()
    {
        TimeSpan process;
        using (var current = Process.GetCurrentProcess())
        {
            process = current.TotalProcessorTime;
        }

        if (_postmaster is not { } postmaster || Ticks(postmaster, includeReaped: true) is not { } ticks)
        {
            return (process, null);
        }

        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid != postmaster
                && Stat(pid) is { } stat && stat.ParentPid == postmaster)
            {
                ticks += stat.Ticks;
            }
        }

        return (process, TimeSpan.FromSeconds(ticks / TicksPerSecond));
    }

    private static long? Ticks(int pid, bool includeReaped) => Stat(pid) is { } stat ? stat.Ticks + (includeReaped ? stat.ReapedTicks : 0) : null;

    // /proc/<pid>/stat: "pid (comm) state ppid ..."; after the closing parenthesis, field 4 is ppid and fields 14-17
    // are utime, stime, cutime, cstime (cutime and cstime: children already waited for).
    private static (int ParentPid, long Ticks, long ReapedTicks)? Stat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        var end = text.LastIndexOf(')');
        if (end < 0)
        {
            return null;
        }

        var fields = text[(end + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // fields[0] is field 3 (state), so field n is fields[n - 3].
        if (fields.Length < 15
            || !int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var parent)
            || !long.TryParse(fields[11], NumberStyles.None, CultureInfo.InvariantCulture, out var utime)
            || !long.TryParse(fields[12], NumberStyles.None, CultureInfo.InvariantCulture, out var stime)
            || !long.TryParse(fields[13], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var cutime)
            || !long.TryParse(fields[14], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var cstime))
        {
            return null;
        }

        return (parent, utime + stime, cutime + cstime);
    }
}
