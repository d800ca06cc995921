using System.Globalization;

namespace TenantRag.Lab;

/// <summary>The local TCP ports of a process's sockets, from <c>/proc</c>: which PostgreSQL backends are its connections.</summary>
internal static class BenchFleetSockets
{
    /// <summary>Local ports of the TCP sockets <paramref name="pid"/> holds open; null when its descriptors cannot be read.</summary>
    public static HashSet<int>? LocalPorts(int pid)
    {
        var inodes = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            foreach (var fd in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
            {
                // A socket's descriptor links to "socket:[INODE]".
                if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith("socket:[", StringComparison.Ordinal))
                {
                    inodes.Add(target[8..^1]);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        var ports = new HashSet<int>();
        foreach (var table in new[] { $"/proc/{pid}/net/tcp", $"/proc/{pid}/net/tcp6" })
        {
            try
            {
                // "sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...", addresses as HEXIP:HEXPORT.
                foreach (var line in File.ReadLines(table).Skip(1))
                {
                    var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    if (fields.Length > 9 && inodes.Contains(fields[9])
                        && int.TryParse(fields[1][(fields[1].LastIndexOf(':') + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var port))
                    {
                        ports.Add(port);
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return null;
            }
        }

        return ports;
    }
}
