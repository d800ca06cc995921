using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;
using TenantRag.Testing;

namespace TenantRag.Postgres.Tests;

/// <summary>
/// Runs the real <c>tenantrag</c> command line (the tenantrag.dll this build made, see the .csproj) against the test
/// server through <c>TENANTRAG_DATABASE_URL</c>, with a private <c>TENANTRAG_HOME</c>.
/// </summary>
internal sealed class TenantRagCli : IDisposable
{
    private readonly PostgresServer _server;

    public TenantRagCli(PostgresServer server)
    {
        _server = server;
        Home = Path.Combine(Path.GetTempPath(), "tenantrag-cli-" + Slugs.RandomLetters(10));
        Directory.CreateDirectory(Home);
    }

    public string Home { get; }

    public static string AssemblyPath { get; } =
        typeof(TenantRagCli).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().SingleOrDefault(a => a.Key == "TenantRagCli")?.Value
        ?? throw new InvalidOperationException("the test assembly does not record where tenantrag.dll is (see TenantRag.Postgres.Tests.csproj)");

    // The dotnet host of the runtime running these tests: <root>/shared/Microsoft.NETCore.App/<version>/ -> <root>/dotnet.
    private static string DotnetHost
    {
        get
        {
            var host = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", "..", "dotnet"));
            return File.Exists(host) ? host : "dotnet";
        }
    }

    public async Task<CliResult> RunAsync(params string[] args)
    {
        var psi = new ProcessStartInfo(DotnetHost)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(AssemblyPath);
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
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new CliResult(process.ExitCode, await stdout, await stderr);
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
internal sealed record CliResult(int ExitCode, string StdOut, string StdErr)
{
    public JsonElement Json() => JsonDocument.Parse(StdOut).RootElement;

    public override string ToString() => $"exit {ExitCode}\nstdout: {StdOut}\nstderr: {StdErr}";
}
