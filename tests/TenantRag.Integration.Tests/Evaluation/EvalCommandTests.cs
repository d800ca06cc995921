using System.Diagnostics;
using System.Runtime.InteropServices;
using TenantRag.Testing;

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
    [InlineData("--rrf-k", "5,x", "--rrf-k '5,x' is not a number or a comma-separated list of numbers")]
    [InlineData("--depth", "20,2.5", "(whole numbers)")]
    [InlineData("--lexical-weight", "1,-0.5", "retrieval setting LexicalWeight is out of range (-0.5)")]
    [InlineData("--second-chunk-weight", "0,1.5", "retrieval setting SecondChunkWeight is out of range (1.5)")]
    public async Task Eval_BadOption_ExitsTwoSayingWhatToUse(string option, string value, string expected)
    {
        var (exit, stderr) = await RunAsync("eval", "--data", Path.GetTempPath(), option, value);

        Assert.Equal(2, exit);
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Eval_QuestionSetWithoutPages_ExitsTwoAskingForThem()
    {
        using var set = QuestionSet();

        var (exit, stderr) = await RunAsync("eval", "--data", set.Path);

        Assert.Equal(2, exit);
        Assert.Contains("is a question set over HTML pages: give --pages", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Eval_QuestionSetWithMissingPagesDirectory_ExitsTwoNamingIt()
    {
        using var set = QuestionSet();
        var missing = System.IO.Path.Combine(set.Path, "no-such-book");

        var (exit, stderr) = await RunAsync("eval", "--data", set.Path, "--pages", missing);

        Assert.Equal(2, exit);
        Assert.Contains($"--pages directory '{missing}' does not exist", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Eval_QuestionSetWithTenants_ExitsTwo()
    {
        using var set = QuestionSet();

        var (exit, stderr) = await RunAsync("eval", "--data", set.Path, "--pages", set.Path, "--tenants");

        Assert.Equal(2, exit);
        Assert.Contains("has no tenant files: drop --tenants", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Eval_PagesForABeirSet_ExitsTwo()
    {
        var (exit, stderr) = await RunAsync("eval", "--data", System.IO.Path.GetTempPath(), "--pages", System.IO.Path.GetTempPath());

        Assert.Equal(2, exit);
        Assert.Contains("--pages is for question sets", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunScript_BookNotInstalled_ExitsTwoSayingHowToInstallIt()
    {
        using var empty = new ScratchDirectory();
        var script = System.IO.Path.Combine(CargoBook.SetDirectory, "run");
        var psi = new ProcessStartInfo("bash") { RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add(script);
        psi.Environment["TENANTRAG_CARGO_BOOK"] = empty.Path;

        using var process = Process.Start(psi)!;
        var stderr = await process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);

        Assert.Equal(2, process.ExitCode);
        Assert.Contains("rustup component add rust-docs", stderr, StringComparison.Ordinal);
    }

    private static ScratchDirectory QuestionSet()
    {
        var set = new ScratchDirectory();
        File.WriteAllText(System.IO.Path.Combine(set.Path, "questions.jsonl"),
            """{"_id": "q1", "text": "How do I run one test?", "page": "tests.html", "section": "Tests", "keyFacts": ["cargo test foo"], "split": "test"}""" + "\n");
        return set;
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

    private sealed class ScratchDirectory : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("tenantrag-evalcli-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
