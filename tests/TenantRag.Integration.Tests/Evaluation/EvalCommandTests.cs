using System.Diagnostics;
using System.Runtime.InteropServices;

namespace TenantRag.Integration.Tests.Evaluation;

/// <summary>Usage errors of <c>tenantrag eval</c>: found before any database or model is touched, exit code 2.</summary>
public sealed class EvalCommandTests
{
    [Fact]
    public async Task Eval_MissingDataDirectory_ExitsTwoNamingIt()
    {
        var missing = Path.Combine(Path.GetTempPath(), "no-such-beir-" + Guid.NewGuid().ToString("N"));

        var (exit, stderr) = await RunAsync("eval", "--data", missing);

        Assert.Equal(2, exit);
        Assert.Contains(missing, stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--split", "validation", "unknown split 'validation'")]
    [InlineData("--retriever", "bm25", "unknown retriever 'bm25'")]
    [InlineData("--limit", "0", "--limit 0 is out of range")]
    public async Task Eval_BadOption_ExitsTwoSayingWhatToUse(string option, string value, string expected)
    {
        var (exit, stderr) = await RunAsync("eval", "--data", Path.GetTempPath(), option, value);

        Assert.Equal(2, exit);
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
    }

    private static async Task<(int Exit, string Stderr)> RunAsync(params string[] args)
    {
        var host = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", "..", "dotnet"));
        var psi = new ProcessStartInfo(File.Exists(host) ? host : "dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "tenantrag.dll"));
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        // No database is needed: point any accidental use at a private home rather than the developer's.
        psi.Environment["TENANTRAG_HOME"] = Path.Combine(Path.GetTempPath(), "tenantrag-evalcli-" + Guid.NewGuid().ToString("N"));
        using var process = Process.Start(psi)!;
        var ct = TestContext.Current.CancellationToken;
        var stderr = process.StandardError.ReadToEndAsync(ct);
        _ = process.StandardOutput.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        return (process.ExitCode, await stderr);
    }
}
