using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using TenantRag.Postgres.Cluster;

namespace TenantRag.Postgres.Pooler;

/// <summary>
/// A PgBouncer in transaction mode, run from the machine's <c>pgbouncer</c> binary (Debian package <c>pgbouncer</c>)
/// with its configuration, auth file, pid file and log under one directory, listening on loopback only. When the
/// current user is root it runs as the <c>postgres</c> system user, because PgBouncer refuses to run as root.
/// </summary>
public sealed class PgBouncer
{
    private const string Host = "127.0.0.1";
    private const string ConfigName = "pgbouncer.ini";
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(15);

    private PgBouncer(string directory) => Directory = Path.GetFullPath(directory);

    /// <summary>The directory holding its configuration, auth file, pid file and log.</summary>
    public string Directory { get; }

    private string ConfigFile => Path.Combine(Directory, ConfigName);

    private string AuthFile => Path.Combine(Directory, "userlist.txt");

    private string PidFile => Path.Combine(Directory, "pgbouncer.pid");

    /// <summary>Its log (connections and errors; PgBouncer never logs statements).</summary>
    public string LogFile => Path.Combine(Directory, "pgbouncer.log");

    private static string? RunAs => Environment.IsPrivilegedProcess ? "postgres" : null;

    /// <summary>The PgBouncer under <paramref name="directory"/> (nothing is read or started yet).</summary>
    public static PgBouncer In(string directory) => new(directory);

    /// <summary>Writes the configuration and starts PgBouncer if it is not running; returns its status.</summary>
    /// <exception cref="TenantRagException">The binary is missing, or PgBouncer did not start (its log's last line is named).</exception>
    public async Task<PgBouncerStatus> EnsureStartedAsync(PgBouncerSettings settings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (GetStatus() is { Running: true } running)
        {
            return running;
        }

        var binary = Locate();
        System.IO.Directory.CreateDirectory(Directory);
        var port = settings.ListenPort > 0 ? settings.ListenPort : ReadPort() is > 0 and var kept && EmbeddedCluster.IsPortFree(kept) ? kept : EmbeddedCluster.FreePort();
        if (File.Exists(PidFile))
        {
            File.Delete(PidFile);
        }

        var ownerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        await WriteOwnerOnlyAsync(AuthFile, AuthFileText(settings.Users), ownerOnly, cancellationToken).ConfigureAwait(false);
        await WriteOwnerOnlyAsync(ConfigFile, ConfigText(settings, port), ownerOnly, cancellationToken).ConfigureAwait(false);
        await ChownAsync(cancellationToken).ConfigureAwait(false);

        var result = await ProcessRunner.RunAsync(binary, ["-d", "-q", ConfigFile], RunAs, cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new TenantRagException($"PgBouncer did not start ({LastLogLine() ?? result.Output.ReplaceLineEndings(" ")}): see {LogFile}");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ReadyTimeout);
        while (!await AcceptsAsync(port, timeout.Token).ConfigureAwait(false))
        {
            if (timeout.IsCancellationRequested)
            {
                cancellationToken.ThrowIfCancellationRequested();
                throw new TenantRagException($"PgBouncer did not listen on {Host}:{port} within {ReadyTimeout.TotalSeconds:0} s ({LastLogLine() ?? "no log line"}): see {LogFile}");
            }

            await Task.Delay(50, CancellationToken.None).ConfigureAwait(false);
        }

        return GetStatus();
    }

    /// <summary>Stops PgBouncer (SIGTERM, then waits for the process to end). Returns false if it was not running.</summary>
    public async Task<bool> StopAsync(CancellationToken cancellationToken = default)
    {
        if (ReadLivePid() is not { } pid)
        {
            return false;
        }

        var result = await ProcessRunner.RunAsync("kill", ["-TERM", pid.ToString(CultureInfo.InvariantCulture)], cancellationToken: cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0 && IsAlive(pid))
        {
            throw new TenantRagException($"could not stop PgBouncer (pid {pid}): {result.Output.ReplaceLineEndings(" ")}");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ReadyTimeout);
        while (IsAlive(pid))
        {
            await Task.Delay(50, timeout.Token).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>Whether it runs, and where.</summary>
    public PgBouncerStatus GetStatus()
    {
        var pid = ReadLivePid();
        return new PgBouncerStatus { Running = pid is not null, Host = Host, Port = ReadPort(), Pid = pid };
    }

    /// <summary>The <c>pgbouncer</c> binary on <c>PATH</c> or in <c>/usr/sbin</c>.</summary>
    /// <exception cref="TenantRagException">It is not installed (the message names the Debian package).</exception>
    public static string Locate()
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        foreach (var dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries).Append("/usr/sbin").Append("/usr/bin"))
        {
            var candidate = Path.Combine(dir, "pgbouncer");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new TenantRagException("pgbouncer is not installed: install it (Debian/Ubuntu: apt-get install pgbouncer) or run without the pooler");
    }

    // One line per role: "name" "password", a double quote doubled. Plain passwords let PgBouncer answer the client's
    // SCRAM exchange and run its own against the server.
    private static string AuthFileText(IReadOnlyDictionary<string, string> users)
    {
        var text = new StringBuilder();
        foreach (var (user, password) in users)
        {
            text.Append('"').Append(user.Replace("\"", "\"\"", StringComparison.Ordinal)).Append("\" \"")
                .Append(password.Replace("\"", "\"\"", StringComparison.Ordinal)).Append("\"\n");
        }

        return text.ToString();
    }

    private string ConfigText(PgBouncerSettings settings, int port) => string.Create(CultureInfo.InvariantCulture, $"""
        ; Written by tenantrag: transaction pooling on loopback only, SCRAM against the auth file.
        [databases]
        * = host={settings.ServerHost} port={settings.ServerPort}

        [pgbouncer]
        listen_addr = {Host}
        listen_port = {port}
        unix_socket_dir =
        auth_type = scram-sha-256
        auth_file = {AuthFile}
        pool_mode = transaction
        default_pool_size = {settings.DefaultPoolSize}
        max_client_conn = {settings.MaxClientConnections}
        max_db_connections = 0
        server_round_robin = 0
        ignore_startup_parameters = extra_float_digits
        pidfile = {PidFile}
        logfile = {LogFile}
        log_connections = 0
        log_disconnections = 0

        """);

    private static async Task WriteOwnerOnlyAsync(string path, string text, UnixFileMode mode, CancellationToken cancellationToken)
    {
        await using (var stream = new FileStream(path, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = mode }))
        await using (var writer = new StreamWriter(stream))
        {
            await writer.WriteAsync(text.AsMemory(), cancellationToken).ConfigureAwait(false);
        }

        File.SetUnixFileMode(path, mode);
    }

    private async Task ChownAsync(CancellationToken cancellationToken)
    {
        if (RunAs is null)
        {
            return;
        }

        var result = await ProcessRunner.RunAsync("chown", ["-R", $"{RunAs}:", Directory], cancellationToken: cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new TenantRagException($"could not hand {Directory} to the '{RunAs}' system user: {result.Output}");
        }
    }

    private int ReadPort()
    {
        if (!File.Exists(ConfigFile))
        {
            return 0;
        }

        foreach (var line in File.ReadLines(ConfigFile))
        {
            var parts = line.Split('=', 2, StringSplitOptions.TrimEntries);
            if (parts.Length == 2 && parts[0] == "listen_port" && int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var port))
            {
                return port;
            }
        }

        return 0;
    }

    private int? ReadLivePid()
    {
        try
        {
            var first = File.Exists(PidFile) ? File.ReadLines(PidFile).FirstOrDefault() : null;
            return int.TryParse(first, NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid) && IsAlive(pid) ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    // A live process of that id that is a pgbouncer (a stale pid file can name a recycled id).
    private static bool IsAlive(int pid)
    {
        try
        {
            var comm = File.ReadAllText($"/proc/{pid}/comm").Trim();
            return comm == "pgbouncer";
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static async Task<bool> AcceptsAsync(int port, CancellationToken cancellationToken)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private string? LastLogLine()
    {
        try
        {
            return File.Exists(LogFile) ? File.ReadLines(LogFile).LastOrDefault(l => l.Contains("FATAL", StringComparison.Ordinal) || l.Contains("ERROR", StringComparison.Ordinal)) : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
