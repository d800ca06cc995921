using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using TenantRag.Testing;

namespace TenantRag.Postgres.Tests;

/// <summary>
/// What a new user hit on the command line: errors as JSON under <c>--json</c> and JSON without <c>\u0027</c>,
/// messages without .NET type names, one error for <c>ask</c> without arguments, a taken port in one line,
/// <c>tenant delete</c> asking first, an ingest with nothing to ingest, and a demo that ends with an answer.
/// On an installation of its own, beside the other command-line tests.
/// </summary>
public sealed class CommandLinePolishTests(PostgresServer server) : IAsyncLifetime
{
    // An installation of its own, so that this class runs beside the other command-line tests.
    private const string Prefix = "trcli_polish";

    private readonly CliRunner _cli = TenantRagCli.For(server, Prefix);

    private readonly string _tenant = Slugs.UniqueText("polish");

    public async ValueTask InitializeAsync()
    {
        var created = await _cli.RunAsync("tenant", "create", _tenant, "--mode", "shared");
        Assert.True(created.ExitCode == 0, created.ToString());
    }

    public async ValueTask DisposeAsync()
    {
        await _cli.RunAsync("tenant", "delete", _tenant, "--yes");
        _cli.Dispose();
    }

    [Fact]
    public async Task Json_ErrorsAreOneLineOfJsonOnStderr_QuotesReadable_ControlCharactersEscaped()
    {
        var ghost = Slugs.UniqueText("ghost");

        var missing = await _cli.RunAsync("tenant", "show", ghost, "--json");
        var usage = await _cli.RunAsync("documents", "list", _tenant, "--limit", "many", "--json");
        var control = await _cli.RunAsync("ingest", _tenant, "/nowhere/bell\u0007.md", "--json");

        var error = AssertJsonError(missing, 1);
        Assert.Contains($"tenant '{ghost}' does not exist", error, StringComparison.Ordinal);
        Assert.Contains($"'{ghost}'", missing.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u0027", missing.StdErr, StringComparison.Ordinal);
        Assert.Contains("--limit must be a whole number", AssertJsonError(usage, 2), StringComparison.Ordinal);
        Assert.Contains("bell\u0007.md", AssertJsonError(control, 2), StringComparison.Ordinal);
        Assert.Contains("\\u0007", control.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain('\u0007', control.StdErr);
    }

    [Fact]
    public async Task ErrorMessages_SayWhatTheValueMustBe_NeverADotNetType()
    {
        var limit = await _cli.RunAsync("documents", "list", _tenant, "--limit", "many");
        var k = await _cli.RunAsync("search", _tenant, "anything", "--k", "2.5");
        var ttl = await _cli.RunAsync("token", "--tenant", _tenant, "--user", "alice", "--ttl", "90d");

        foreach (var run in new[] { limit, k, ttl })
        {
            Assert.True(run.ExitCode == 2, run.ToString());
            Assert.DoesNotContain("System.", run.StdErr, StringComparison.Ordinal);
            Assert.DoesNotContain("00:00", run.StdErr, StringComparison.Ordinal);
            Assert.Equal(string.Empty, run.StdOut);
        }

        Assert.Contains("error: --limit must be a whole number, not 'many'", limit.StdErr, StringComparison.Ordinal);
        Assert.Contains("error: --k must be a whole number, not '2.5'", k.StdErr, StringComparison.Ordinal);
        Assert.Contains("error: --ttl 90d is out of range", ttl.StdErr, StringComparison.Ordinal);
        Assert.Contains("30 days", ttl.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ask_WithNoArgument_SaysWhatIsMissingOnce()
    {
        var run = await _cli.RunAsync("ask");

        Assert.True(run.ExitCode == 2, run.ToString());
        var error = Assert.Single(Lines(run.StdErr), l => l.StartsWith("error: ", StringComparison.Ordinal));
        Assert.Equal("error: 'ask' needs <tenant> and <question>", error);
    }

    [Fact]
    public async Task Serve_OnATakenPort_OneLineAndExit1()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var url = $"http://127.0.0.1:{((IPEndPoint)taken.LocalEndpoint).Port}";

        var run = await _cli.RunAsync("serve", "--dev-auth", "--urls", url);

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.False(run.ToString().Contains("   at ", StringComparison.Ordinal) || run.ToString().Contains("Exception", StringComparison.Ordinal), run.ToString());
        Assert.DoesNotContain("serving on", run.StdOut, StringComparison.Ordinal);
        // At the default level: no Trace or Debug lines (they once carried the exception texts of connections the stop cut).
        Assert.DoesNotContain(Lines(run.StdOut), l => l.StartsWith("trce:", StringComparison.Ordinal) || l.StartsWith("dbug:", StringComparison.Ordinal));
        var error = Assert.Single(Lines(run.StdErr), l => !l.StartsWith("note: ", StringComparison.Ordinal));
        Assert.StartsWith($"error: {url} is in use: ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TenantDelete_WithoutYesAndNoTerminal_Exit2AndKeepsTheTenant()
    {
        var slug = await TenantAsync();

        var refused = await _cli.RunAsync("tenant", "delete", slug);
        var shown = await _cli.RunAsync("tenant", "show", slug);
        var deleted = await _cli.RunAsync("tenant", "delete", slug, "--yes");

        Assert.True(refused.ExitCode == 2, refused.ToString());
        Assert.StartsWith("error: ", refused.StdErr, StringComparison.Ordinal);
        Assert.Contains("--yes", refused.StdErr, StringComparison.Ordinal);
        Assert.True(shown.ExitCode == 0, shown.ToString());
        Assert.True(deleted.ExitCode == 0, deleted.ToString());
        Assert.Contains($"deleted tenant {slug}", deleted.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TenantDelete_OnATerminal_AsksAndDeletesOnlyOnYes()
    {
        Assert.SkipUnless(CliRunner.CanRunOnTerminal, "util-linux 'script' is not installed: no pseudo-terminal to run the command line on");
        var slug = await TenantAsync();

        var declined = await _cli.RunOnTerminalAsync("n\n", "tenant", "delete", slug);
        var kept = await _cli.RunAsync("tenant", "show", slug);
        var confirmed = await _cli.RunOnTerminalAsync("y\n", "tenant", "delete", slug);
        var gone = await _cli.RunAsync("tenant", "show", slug);

        Assert.True(declined.ExitCode == 1, declined.ToString());
        Assert.Contains($"delete tenant {slug}", declined.StdOut, StringComparison.Ordinal);
        Assert.Contains("[y/N]", declined.StdOut, StringComparison.Ordinal);
        Assert.Contains("not deleted", declined.StdOut, StringComparison.Ordinal);
        Assert.True(kept.ExitCode == 0, kept.ToString());
        Assert.True(confirmed.ExitCode == 0, confirmed.ToString());
        Assert.Contains($"deleted tenant {slug}", confirmed.StdOut, StringComparison.Ordinal);
        Assert.True(gone.ExitCode == 1, gone.ToString());
    }

    [Fact]
    public async Task Ingest_DirectoryWithNoSupportedFile_Exit1SayingSo()
    {
        var directory = Directory.CreateTempSubdirectory("tenantrag-nothing-").FullName;
        try
        {
            var empty = Directory.CreateDirectory(Path.Combine(directory, "empty")).FullName;
            await File.WriteAllTextAsync(Path.Combine(empty, ".hidden.md"), "# Hidden\n\nNot read.\n", TestContext.Current.CancellationToken);
            var images = Directory.CreateDirectory(Path.Combine(directory, "images")).FullName;
            await File.WriteAllBytesAsync(Path.Combine(images, "photo.png"), [0x89, 0x50, 0x4e, 0x47], TestContext.Current.CancellationToken);

            var nothing = await _cli.RunAsync("ingest", _tenant, empty);
            var unsupported = await _cli.RunAsync("ingest", _tenant, images);
            var list = await _cli.RunAsync("documents", "list", _tenant, "--json");

            foreach (var run in new[] { nothing, unsupported })
            {
                Assert.True(run.ExitCode == 1, run.ToString());
                var error = Assert.Single(Lines(run.StdErr), l => !l.StartsWith("note: ", StringComparison.Ordinal));
                Assert.StartsWith("error: no file to ingest in ", error, StringComparison.Ordinal);
                Assert.Contains(".md", error, StringComparison.Ordinal);
            }

            Assert.Contains("0 file(s) found", nothing.StdErr, StringComparison.Ordinal);
            Assert.Contains("1 file(s) found", unsupported.StdErr, StringComparison.Ordinal);
            Assert.Empty(list.Json().GetProperty("documents").EnumerateArray());
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Demo_EndsWithASearchACitedAnswerAndThatPostgresKeepsRunning()
    {
        var text = await _cli.RunAsync("demo");
        var json = await _cli.RunAsync("demo", "--json");

        Assert.True(text.ExitCode == 0, text.ToString());
        var lines = Lines(text.StdOut);
        var step = lines.FindIndex(l => l.StartsWith("5. Search and ask", StringComparison.Ordinal));
        Assert.True(step >= 0, text.ToString());
        Assert.Contains(lines.Skip(step), l => l.Contains("1. ", StringComparison.Ordinal) && l.Contains("Acme travel policy", StringComparison.Ordinal));
        Assert.Contains(lines.Skip(step), l => l.Contains("[1] Acme travel policy", StringComparison.Ordinal));
        Assert.Contains("keeps running", lines[^1], StringComparison.Ordinal);

        Assert.True(json.ExitCode == 0, json.ToString());
        var ask = json.Json().GetProperty("ask");
        Assert.Equal("Acme travel policy", ask.GetProperty("citations")[0].GetProperty("documentTitle").GetString());
        Assert.Contains("travel portal", ask.GetProperty("answer").GetString(), StringComparison.Ordinal);
        Assert.Contains("Alice's salary review", json.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u0027", json.StdOut, StringComparison.Ordinal);
    }

    private async Task<string> TenantAsync()
    {
        var slug = Slugs.UniqueText("bye");
        var created = await _cli.RunAsync("tenant", "create", slug, "--mode", "shared");
        Assert.True(created.ExitCode == 0, created.ToString());
        return slug;
    }

    private static List<string> Lines(string text) => [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    private static string AssertJsonError(CliRun run, int exitCode)
    {
        Assert.True(run.ExitCode == exitCode, run.ToString());
        Assert.Equal(string.Empty, run.StdOut);
        var line = Assert.Single(Lines(run.StdErr), l => !l.StartsWith("note: ", StringComparison.Ordinal));
        var json = JsonDocument.Parse(line).RootElement;
        Assert.Equal(exitCode, json.GetProperty("exitCode").GetInt32());
        return json.GetProperty("error").GetString()!;
    }
}
