using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using Xunit;

namespace TenantRag.Testing;

/// <summary>
/// Runs the real <c>tenantrag</c> command line (a tenantrag.dll this build made) against the test server through
/// <c>TENANTRAG_DATABASE_URL</c>, with a private <c>TENANTRAG_HOME</c>; its installation prefix is therefore the
/// default, <c>tenantrag</c>, so one test class per assembly may use it.
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

    /// <summary>Environment variables set for every run (after the runner's own), e.g. <c>Ingestion__MaxPagesPerDocument</c>.</summary>
    public IDictionary<string, string> Environment { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    public Task<CliRun> RunAsync(params string[] args) => RunAsync(new Dictionary<string, string>(), args);

    /// <summary>Runs the command line with <paramref name="environment"/> added to (or replacing) its variables and <see cref="Environment"/>.</summary>
    public async Task<CliRun> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var psi = await StartInfoAsync(environment, args);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start dotnet");
        process.StandardInput.Close();
        var ct = TestContext.Current.CancellationToken;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(90));
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
            await _server.TrackPrefixAsync("tenantrag");
        }

        var psi = new ProcessStartInfo(DotnetHost)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(_assembly);
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        psi.Environment["TENANTRAG_DATABASE_URL"] = _databaseUrl;
        psi.Environment["TENANTRAG_HOME"] = Home;
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["NO_COLOR"] = "1";
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
