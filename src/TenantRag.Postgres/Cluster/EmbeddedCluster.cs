using System.Globalization;
using System.Net;
using System.Net.Sockets;
using TenantRag.Postgres.Installation;

namespace TenantRag.Postgres.Cluster;

/// <summary>
/// A private PostgreSQL cluster under <c>$TENANTRAG_HOME</c>, made with the machine's <c>initdb</c> and run with its
/// <c>pg_ctl</c>: loopback only, no Unix socket, scram passwords. When the current user is root the server runs as
/// the <c>postgres</c> system user, because PostgreSQL refuses to run as root.
/// </summary>
public sealed class EmbeddedCluster
{
    private const string Host = "127.0.0.1";
    private const string ConfigFile = "tenantrag.conf";
    private readonly TenantRagHome _home;
    private readonly Secrets _secrets;
    private readonly EmbeddedClusterOptions _options;
    private readonly List<string> _notices = [];

    private EmbeddedCluster(TenantRagHome home, Secrets secrets, PostgresBinaries binaries, EmbeddedClusterOptions options)
    {
        _home = home;
        _secrets = secrets;
        Binaries = binaries;
        _options = options;
    }

    /// <summary>The binaries in use.</summary>
    public PostgresBinaries Binaries { get; }

    /// <summary>What start-up had to repair or change (stale pid file, port taken), one line each.</summary>
    public IReadOnlyList<string> Notices => _notices;

    private static string? RunAs => Environment.IsPrivilegedProcess ? "postgres" : null;

    private string DataDirectory => _home.DataDirectory;

    /// <summary>Locates the binaries for the cluster under <paramref name="home"/>.</summary>
    public static async Task<EmbeddedCluster> OpenAsync(TenantRagHome home, Secrets secrets, EmbeddedClusterOptions? options = null, CancellationToken cancellationToken = default)
    {
        var binaries = await PostgresBinaries.LocateAsync(cancellationToken).ConfigureAwait(false);
        return new EmbeddedCluster(home, secrets, binaries, options ?? new EmbeddedClusterOptions());
    }

    /// <summary>Initialises the cluster if needed and starts it if it is not running; returns how to reach it.</summary>
    public async Task<ServerEndpoint> EnsureStartedAsync(CancellationToken cancellationToken = default)
    {
        // Two processes starting at once must not both run initdb or pg_ctl start: serialise on a lock file.
        await using var fileLock = await FileLock.AcquireAsync(Path.Combine(_home.Root, "cluster.lock"), cancellationToken).ConfigureAwait(false);
        CheckVersion();
        if (!IsInitialized)
        {
            await InitAsync(cancellationToken).ConfigureAwait(false);
        }

        if (await IsRunningAsync(cancellationToken).ConfigureAwait(false))
        {
            return Endpoint(ReadPort());
        }

        RecoverStalePidFile();
        var port = ReadPort();
        if (port == 0 || !IsPortFree(port))
        {
            var newPort = FreePort();
            if (port != 0)
            {
                _notices.Add($"port {port} is taken by another program; the embedded PostgreSQL now uses port {newPort}");
            }

            port = newPort;
        }

        // Written at every start, so a cluster made by an earlier version gets the current settings too.
        WriteConfig(port);
        await PrepareLogFileAsync(cancellationToken).ConfigureAwait(false);
        var result = await ProcessRunner.RunAsync(Binaries.PgCtl,
            ["start", "-D", DataDirectory, "-l", _home.LogFile, "-w", "-t", _options.StartTimeoutSeconds.ToString(CultureInfo.InvariantCulture)],
            RunAs, cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new TenantRagException($"PostgreSQL did not start ({LastLogLine() ?? result.Output.ReplaceLineEndings(" ")}): see {_home.LogFile}");
        }

        return Endpoint(port);
    }

    /// <summary>Stops the server (fast shutdown: running transactions are rolled back). Returns false if it was not running.</summary>
    public async Task<bool> StopAsync(bool immediate = false, CancellationToken cancellationToken = default)
    {
        if (!IsInitialized || !await IsRunningAsync(cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        var result = await ProcessRunner.RunAsync(Binaries.PgCtl,
            ["stop", "-D", DataDirectory, "-m", immediate ? "immediate" : "fast", "-w", "-t", _options.StartTimeoutSeconds.ToString(CultureInfo.InvariantCulture)],
            RunAs, cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new TenantRagException($"PostgreSQL did not stop: {result.Output.ReplaceLineEndings(" ")}");
        }

        return true;
    }

    /// <summary>Whether the server is up, and where.</summary>
    public async Task<ClusterStatus> GetStatusAsync(CancellationToken cancellationToken = default)
    {
        var initialized = IsInitialized;
        var running = initialized && await IsRunningAsync(cancellationToken).ConfigureAwait(false);
        return new ClusterStatus
        {
            Running = running,
            Initialized = initialized,
            Host = Host,
            Port = initialized ? ReadPort() : 0,
            DataDirectory = DataDirectory,
            Pid = running ? ReadPid() : null,
            MajorVersion = Binaries.MajorVersion,
        };
    }

    /// <summary>How to reach the server as its superuser (for <c>db status</c> and the bootstrap).</summary>
    public ServerEndpoint Endpoint(int port) => new()
    {
        Host = Host,
        Port = port,
        BootstrapUsername = "postgres",
        BootstrapPassword = _secrets.SuperuserPassword,
        IsEmbedded = true,
    };

    private bool IsInitialized => File.Exists(Path.Combine(DataDirectory, "PG_VERSION"));

    private void CheckVersion()
    {
        var versionFile = Path.Combine(DataDirectory, "PG_VERSION");
        if (!File.Exists(versionFile))
        {
            return;
        }

        var text = File.ReadAllText(versionFile).Trim();
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var major) || major != Binaries.MajorVersion)
        {
            throw new TenantRagException(
                $"the data directory {DataDirectory} was made by PostgreSQL {text}, but the binaries in {Binaries.BinDirectory} are PostgreSQL {Binaries.MajorVersion}; " +
                $"a server cannot open another major version's files: point TENANTRAG_PG_BIN at PostgreSQL {text}'s bin directory, " +
                "or move that directory away (upgrade it with pg_upgrade) to start a fresh cluster");
        }
    }

    private async Task InitAsync(CancellationToken cancellationToken)
    {
        if (Directory.Exists(DataDirectory) && Directory.EnumerateFileSystemEntries(DataDirectory).Any())
        {
            throw new TenantRagException($"the data directory {DataDirectory} is not empty but holds no cluster (no PG_VERSION): move it away and run 'tenantrag db start' again");
        }

        Directory.CreateDirectory(DataDirectory);
        var passwordFile = Path.Combine(_home.Root, $"initdb-{Environment.ProcessId}.pw");
        await File.WriteAllTextAsync(passwordFile, _secrets.SuperuserPassword, cancellationToken).ConfigureAwait(false);
        File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        try
        {
            await ChownToServerUserAsync(DataDirectory, cancellationToken).ConfigureAwait(false);
            await ChownToServerUserAsync(passwordFile, cancellationToken).ConfigureAwait(false);
            var result = await ProcessRunner.RunAsync(Binaries.InitDb,
                ["-D", DataDirectory, "-U", "postgres", "--pwfile", passwordFile, "--auth=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-instructions"],
                RunAs, cancellationToken).ConfigureAwait(false);
            if (result.ExitCode != 0)
            {
                var hint = RunAs is null ? string.Empty : $" (the '{RunAs}' system user must be able to reach {DataDirectory})";
                throw new TenantRagException($"initdb failed{hint}: {result.Output.ReplaceLineEndings(" ")}");
            }
        }
        finally
        {
            File.Delete(passwordFile);
        }

        await File.AppendAllTextAsync(Path.Combine(DataDirectory, "postgresql.conf"), $"\ninclude_if_exists = '{ConfigFile}'\n", cancellationToken).ConfigureAwait(false);
        WriteConfig(FreePort());
    }

    // The server's log can hold what its errors quote (names, values): readable by its owner only (0600), never by
    // the other users of the machine. pg_ctl appends to it as the server user, so that user owns it.
    private async Task PrepareLogFileAsync(CancellationToken cancellationToken)
    {
        var ownerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        if (!File.Exists(_home.LogFile))
        {
            await using var created = new FileStream(_home.LogFile, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = ownerOnly });
        }

        File.SetUnixFileMode(_home.LogFile, ownerOnly);
        await ChownToServerUserAsync(_home.LogFile, cancellationToken).ConfigureAwait(false);
    }

    private void WriteConfig(int port)
    {
        var durable = _options.Durable ? string.Empty : "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n";
        var logical = _options.LogicalReplication ? "wal_level = logical\n" : string.Empty;
        File.WriteAllText(Path.Combine(DataDirectory, ConfigFile), $"""
            # Written by tenantrag: loopback only, no Unix socket, scram passwords.
            listen_addresses = '{Host}'
            port = {port}
            unix_socket_directories = ''
            password_encryption = 'scram-sha-256'
            max_connections = {_options.MaxConnections}
            log_min_messages = warning
            log_connections = off
            # A failing statement is not copied into the log: its text can hold a tenant's data (a search query,
            # a document title). Errors are still logged, without the statement.
            log_min_error_statement = panic
            {durable}{logical}
            """);
    }

    private int ReadPort()
    {
        var path = Path.Combine(DataDirectory, ConfigFile);
        if (!File.Exists(path))
        {
            return 0;
        }

        foreach (var line in File.ReadLines(path))
        {
            var parts = line.Split('=', 2, StringSplitOptions.TrimEntries);
            if (parts.Length == 2 && parts[0] == "port" && int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var port))
            {
                return port;
            }
        }

        return 0;
    }

    private int? ReadPid()
    {
        var pidFile = Path.Combine(DataDirectory, "postmaster.pid");
        try
        {
            var first = File.ReadLines(pidFile).FirstOrDefault();
            return int.TryParse(first, NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid) ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private async Task<bool> IsRunningAsync(CancellationToken cancellationToken)
    {
        var result = await ProcessRunner.RunAsync(Binaries.PgCtl, ["status", "-D", DataDirectory], RunAs, cancellationToken).ConfigureAwait(false);
        return result.ExitCode == 0;
    }

    // After a crash the pid file stays behind; if its process is gone (or is not a postgres), the file is stale.
    private void RecoverStalePidFile()
    {
        var pidFile = Path.Combine(DataDirectory, "postmaster.pid");
        if (!File.Exists(pidFile))
        {
            return;
        }

        File.Delete(pidFile);
        _notices.Add("found a stale postmaster.pid from a server that is no longer running (a crash?); removed it and started PostgreSQL, which recovers from its WAL");
    }

    internal static bool IsPortFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private string? LastLogLine()
    {
        try
        {
            return File.ReadLines(_home.LogFile).LastOrDefault(l => l.Contains("FATAL", StringComparison.Ordinal) || l.Contains("ERROR", StringComparison.Ordinal));
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static async Task ChownToServerUserAsync(string path, CancellationToken cancellationToken)
    {
        if (RunAs is null)
        {
            return;
        }

        var result = await ProcessRunner.RunAsync("chown", ["-R", $"{RunAs}:", path], cancellationToken: cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new TenantRagException($"could not hand {path} to the '{RunAs}' system user: {result.Output}");
        }
    }
}
