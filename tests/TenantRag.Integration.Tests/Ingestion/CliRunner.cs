using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using TenantRag.Testing;

namespace TenantRag.Integration.Tests.Ingestion;

/// <summary>
/// Runs the real <c>tenantrag</c> command line (the tenantrag.dll this build copied beside the tests) against the test
/// server through <c>TENANTRAG_DATABASE_URL</c>, with a private <c>TENANTRAG_HOME</c>; its installation prefix is
/// therefore the default, <c>tenantrag</c>.
/// </summary>
internal sealed class CliRunner : IDisposable
{
    private readonly PostgresServer _server;

    public CliRunner(PostgresServer server)
    {
        _server = server;
        Home = Path.Combine(Path.GetTempPath(), "tenantrag-cli-" + Slugs.RandomLetters(10));
        Directory.CreateDirectory(Home);
    }

    public string Home { get; }

    private static string Assembly => Path.Combine(AppContext.BaseDirectory, "tenantrag.dll");

    // The dotnet host of the runtime running these tests: <root>/shared/Microsoft.NETCore.App/<version>/ -> <root>/dotnet.
    private static string DotnetHost
    {
        get
        {
            var host = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", "..", "dotnet"));
            return File.Exists(host) ? host : "dotnet";
        }
    }

    public async Task<CliRun> RunAsync(params string[] args)
    {
        // Remembered (once) so that on an external test server the installation is dropped afterwards.
        await _server.TrackPrefixAsync("tenantrag");
        var psi = new ProcessStartInfo(DotnetHost)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Assembly);
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        psi.Environment["TENANTRAG_DATABASE_URL"] = _server.DatabaseUrl;
        psi.Environment["TENANTRAG_HOME"] = Home;
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["NO_COLOR"] = "1";

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
internal sealed record CliRun(int ExitCode, string StdOut, string StdErr)
{
    public JsonElement Json() => JsonDocument.Parse(StdOut).RootElement;

    public override string ToString() => $"exit {ExitCode}\nstdout: {StdOut}\nstderr: {StdErr}";
}
