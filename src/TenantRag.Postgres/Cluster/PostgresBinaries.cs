using System.Text.RegularExpressions;

namespace TenantRag.Postgres.Cluster;

/// <summary>The PostgreSQL server programs (<c>initdb</c>, <c>pg_ctl</c>) of this machine.</summary>
public sealed partial record PostgresBinaries
{
    /// <summary>The directory holding <c>initdb</c> and <c>pg_ctl</c>.</summary>
    public required string BinDirectory { get; init; }

    /// <summary>The major version, e.g. 15.</summary>
    public required int MajorVersion { get; init; }

    /// <summary>Full path of initdb.</summary>
    public string InitDb => Path.Combine(BinDirectory, "initdb");

    /// <summary>Full path of pg_ctl.</summary>
    public string PgCtl => Path.Combine(BinDirectory, "pg_ctl");

    /// <summary>
    /// Finds the binaries: <c>TENANTRAG_PG_BIN</c>, then <c>PATH</c>, then <c>/usr/lib/postgresql/*/bin</c> (newest first),
    /// then <c>pg_config --bindir</c>. Throws with the Debian package to install when none is found.
    /// </summary>
    public static async Task<PostgresBinaries> LocateAsync(CancellationToken cancellationToken = default)
    {
        foreach (var dir in await CandidatesAsync(cancellationToken).ConfigureAwait(false))
        {
            if (File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl")))
            {
                var resolved = ResolveLinks(dir);
                var version = await ProcessRunner.RunAsync(Path.Combine(resolved, "pg_ctl"), ["--version"], cancellationToken: cancellationToken).ConfigureAwait(false);
                var match = VersionRegex().Match(version.StdOut);
                if (version.ExitCode == 0 && match.Success)
                {
                    return new PostgresBinaries { BinDirectory = resolved, MajorVersion = int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) };
                }
            }
        }

        throw new TenantRagException(
            "PostgreSQL server binaries (initdb, pg_ctl) not found: install them with 'apt-get install postgresql' (Debian package postgresql), " +
            "set TENANTRAG_PG_BIN to their directory, or set TENANTRAG_DATABASE_URL to use an external server");
    }

    private static async Task<List<string>> CandidatesAsync(CancellationToken cancellationToken)
    {
        var dirs = new List<string>();
        if (Environment.GetEnvironmentVariable("TENANTRAG_PG_BIN") is { Length: > 0 } explicitDir)
        {
            dirs.Add(explicitDir);
        }

        dirs.AddRange((Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries));
        if (Directory.Exists("/usr/lib/postgresql"))
        {
            dirs.AddRange(Directory.GetDirectories("/usr/lib/postgresql")
                .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0)
                .Select(d => Path.Combine(d, "bin")));
        }

        try
        {
            var pgConfig = await ProcessRunner.RunAsync("pg_config", ["--bindir"], cancellationToken: cancellationToken).ConfigureAwait(false);
            if (pgConfig.ExitCode == 0)
            {
                dirs.Add(pgConfig.StdOut.Trim());
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // pg_config is not installed; the other candidates stand.
        }

        return dirs;
    }

    // PATH may hold symlinks (e.g. /usr/local/bin/initdb); pg_ctl finds its siblings relative to its real location.
    private static string ResolveLinks(string dir)
    {
        var target = new FileInfo(Path.Combine(dir, "pg_ctl")).ResolveLinkTarget(returnFinalTarget: true);
        return target is null ? dir : Path.GetDirectoryName(target.FullName)!;
    }

    [GeneratedRegex(@"\(PostgreSQL\) (\d+)")]
    private static partial Regex VersionRegex();
}
