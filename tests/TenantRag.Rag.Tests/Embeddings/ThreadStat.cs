using System.Globalization;

namespace TenantRag.Rag.Tests.Embeddings;

/// <summary>What the kernel says about the calling thread: its policy, nice value and cpu cgroup.</summary>
internal static class ThreadStat
{
    public const int SchedOther = 0;
    public const int SchedIdle = 5;

    /// <summary>The calling thread's nice value (proc(5) field 19).</summary>
    public static int Nice() => Field(16);

    /// <summary>The calling thread's scheduling policy (proc(5) field 41).</summary>
    public static int Policy() => Field(38);

    /// <summary>The calling thread's cgroup-v1 cpu group path.</summary>
    public static string CurrentCpuGroup() => CpuGroup(File.ReadAllText("/proc/thread-self/cgroup"));

    /// <summary>The path of the cgroup-v1 cpu controller's line ("1:cpu:/path" or "1:cpu,cpuacct:/path"); "" on cgroup v2 only.</summary>
    public static string CpuGroup(string cgroupFile) =>
        cgroupFile.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(':', 3))
            .Where(parts => parts.Length == 3 && parts[1].Split(',').Contains("cpu"))
            .Select(parts => parts[2])
            .FirstOrDefault() ?? string.Empty;

    /// <summary>Whether this process may create cgroups in a cgroup-v1 cpu hierarchy with cpu.idle (root here).</summary>
    public static bool CpuHierarchyWritable() =>
        Environment.UserName == "root"
        && File.Exists("/sys/fs/cgroup/cpu/cpu.idle")
        && File.ReadLines("/proc/self/mounts").Any(line =>
        {
            var fields = line.Split(' ');
            return fields.Length > 3 && fields[1] == "/sys/fs/cgroup/cpu" && fields[3].Split(',').Contains("rw");
        });

    // A field of /proc/thread-self/stat for the calling thread, counted from the one after the parenthesised command
    // name (proc(5)'s field 3).
    private static int Field(int index)
    {
        var stat = File.ReadAllText("/proc/thread-self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[index], CultureInfo.InvariantCulture);
    }
}
