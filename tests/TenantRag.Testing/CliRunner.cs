using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using Xunit;

namespace TenantRag.Testing;

/// <summary>
/// Runs the real <c>tenantrag</c> command line (a tenantrag.dll this build made) against the test server through
/// <c>TENANTRAG_DATABASE_URL</c>, with a private <c>TENANTRAG_HOME</c>, on the installation <see cref="Prefix"/>
/// (default <c>tenantrag</c>, the command line's own default): test classes that use one prefix each may run at once.
/// </summary>
public sealed class CliRunner : IDisposable
{
    private readonly PostgresServer? _server;
    private readonly string _databaseUrl;
    private readonly string _assembly;

    /// <summary>Runs <paramref name="assembly"/> (a path to tenantrag.dll) against <paramref name="server"/>.</summary>
    public CliRunner(PostgresServer server, string assembly)
        : this(server.DatabaseUrl, assembly)
    {
        _server = server;
    }

    /// <summary>Runs <paramref name="assembly"/> against the server a superuser URL names (a cluster of the test's own).</summary>
    public CliRunner(string databaseUrl, string assembly)
    {
        _databaseUrl = databaseUrl;
        _assembly = File.Exists(assembly) ? assembly : throw new FileNotFoundException("tenantrag.dll was not built where expected", assembly);
        Home = Path.Combine(Path.GetTempPath(), "tenantrag-cli-" + Slugs.RandomLetters(10));
        Directory.CreateDirectory(Home);
    }

    private const string Script = "/usr/bin/script";

    /// <summary>Whether <see cref="RunOnTerminalAsync"/> can run here (util-linux <c>script</c> is installed, as on every Debian).</summary>
    public static bool CanRunOnTerminal => File.Exists(Script);

    /// <summary>The private TENANTRAG_HOME.</summary>
    public string Home { get; }

    // The dotnet host of the runtime running these tests: <root>/shared/Microsoft.NETCore.App/<version>/ -> <root>/dotnet.
    private static string DotnetHost
    {
        get
        {
            var host = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", "..", "dotnet"));
            return File.Exists(host) ? host : "dotnet";
        }
    }

    /// <summary>
    /// The installation prefix the command line runs on (<c>TenantRag:Database:Prefix</c>); the default, <c>tenantrag</c>, is
    /// the command line's own default and is not set.
    /// </summary>
    public string Prefix { get; init; } = DefaultPrefix;

    /// <summary>The command line's default installation prefix.</summary>
    public const string DefaultPrefix = "tenantrag";

    /// <summary>How long one run may take before it is killed and the test fails (default 90 s).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>Where the program runs (its working directory); null for the tests' own.</summary>
    public string? WorkingDirectory { get; set; }

    /// <summary>Environment variables set for every run (after the runner's own), e.g. <c>Ingestion__MaxPagesPerDocument</c>.</summary>
    public IDictionary<string, string> Environment { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    public Task<CliRun> RunAsync(params string[] args) => RunAsync(new Dictionary<string, string>(), args);

    /// <summary>Runs the command line with <paramref name="environment"/> added to (or replacing) its variables and <see cref="Environment"/>.</summary>
    public async Task<CliRun> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] args) =>
        await RunAsync(await StartInfoAsync(environment, args), input: null);

    /// <summary>
    /// Runs the command line on a terminal of its own (a pseudo-terminal from util-linux <c>script</c>), typing
    /// <paramref name="input"/>; what it writes to stdout and stderr both arrive in <see cref="CliRun.StdOut"/>, with the
    /// terminal's echo of the input. Needs <see cref="CanRunOnTerminal"/>.
    /// </summary>
    public async Task<CliRun> RunOnTerminalAsync(string input, params string[] args)
    {
        if (!CanRunOnTerminal)
        {
            throw new InvalidOperationException($"{Script} (util-linux) is not installed: no pseudo-terminal to run the command line on");
        }

        var psi = await StartInfoAsync(new Dictionary<string, string>(), args);
        var command = string.Join(' ', new[] { psi.FileName }.Concat(psi.ArgumentList).Select(a => "'" + a.Replace("'", "'\\''", StringComparison.Ordinal) + "'"));
        psi.FileName = Script;
        psi.ArgumentList.Clear();
        foreach (var arg in new[] { "--quiet", "--return", "--command", command, "/dev/null" })
        {
            psi.ArgumentList.Add(arg);
        }

        return await RunAsync(psi, input);
    }

    private async Task<CliRun> RunAsync(ProcessStartInfo psi, string? input)
    {
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {psi.FileName}");
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
        }

        process.StandardInput.Close();
        var ct = TestContext.Current.CancellationToken;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new CliRun(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>
    /// Starts a command that runs until stopped (<c>serve</c>), with <paramref name="environment"/> added to its
    /// variables; the caller stops it with <see cref="CliProcess.StopAsync"/>.
    /// </summary>
    public async Task<CliProcess> StartAsync(IReadOnlyDictionary<string, string> environment, params string[] args) =>
        CliProcess.Start(await StartInfoAsync(environment, args));

    private async Task<ProcessStartInfo> StartInfoAsync(IReadOnlyDictionary<string, string> environment, string[] args)
    {
        // Remembered (once) so that on an external test server the installation is dropped afterwards.
        if (_server is not null)
        {
            await _server.TrackPrefixAsync(Prefix);
        }

        var psi = new ProcessStartInfo(DotnetHost)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (WorkingDirectory is not null)
        {
            psi.WorkingDirectory = WorkingDirectory;
        }

        psi.ArgumentList.Add(_assembly);
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        psi.Environment["TENANTRAG_DATABASE_URL"] = _databaseUrl;
        psi.Environment["TENANTRAG_HOME"] = Home;
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["NO_COLOR"] = "1";
        if (Prefix != DefaultPrefix)
        {
            psi.Environment["TenantRag__Database__Prefix"] = Prefix;
        }

        foreach (var (name, value) in Environment.Concat(environment))
        {
            psi.Environment[name] = value;
        }

        return psi;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Home, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>What one run of the command line did.</summary>
public sealed record CliRun(int ExitCode, string StdOut, string StdErr)
{
    public JsonElement Json() => JsonDocument.Parse(StdOut).RootElement;

    public override string ToString() => $"exit {ExitCode}\nstdout: {StdOut}\nstderr: {StdErr}";
}
