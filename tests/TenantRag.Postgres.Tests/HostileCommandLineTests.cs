using System.Text;
using System.Text.Json;
using TenantRag.Testing;

namespace TenantRag.Postgres.Tests;

/// <summary>
/// The hostile corpus through the real command line: slugs, user ids and option values as arguments. Every run
/// ends with exit code 0, 1 or 2 and a one-line error (never a stack trace), and no tenant's rows change. It shares
/// the installation prefix 'tenantrag' with <see cref="TenantCommandTests"/>, so the two run one after the other.
/// </summary>
[Collection(TenantCommandTests.CommandLineCollection)]
[Trait("Category", "Isolation")]
public sealed class HostileCommandLineTests(PostgresServer server, HostileCommandLineTests.Tenants tenants) : IClassFixture<HostileCommandLineTests.Tenants>
{
    private readonly CliRunner _cli = tenants.Cli;

    private readonly string _caller = tenants.Caller;

    /// <summary>
    /// A sample, as each case costs a few processes: the first entry of each category that a command line can
    /// carry (argv cannot hold NUL, which would end the argument early, and the kernel refuses an argument over
    /// 128 KB before tenantrag starts), and what an argument parser treats specially: leading dashes and '@'
    /// (a response file for many parsers; not for tenantrag). The HTTP tests take the whole corpus through the same validation.
    /// </summary>
    public static TheoryData<string> Arguments => HostileStrings.NamesWhere(s =>
        s.Name is "shell/option-lookalike" or "shell/short-option" or "shell/response-file"
        || HostileStrings.All.First(c => c.Category == s.Category && IsArgument(c.Value)) == s);

    private static bool IsArgument(string value) => !value.Contains('\0', StringComparison.Ordinal) && value.Length <= 100_000;


    [Theory]
    [MemberData(nameof(Arguments))]
    public async Task TenantCreateAndDelete_HostileSlug_Exit2AndChangeNothing(string name)
    {
        var slug = HostileStrings.Get(name).Value;
        var before = await TenantRowsSnapshot.TakeAsync(server, "tenantrag");

        var create = await _cli.RunAsync("tenant", "create", slug, "--mode", "shared");

        // No entry is a valid slug but the other tenant's own: creating it again fails (1), and deleting it (a
        // legitimate operator action) is not tried.
        if (name == HostileStrings.OtherTenantForms + "/exact")
        {
            AssertOneLineError(create, 1);
        }
        else
        {
            AssertOneLineError(create, 2);
            AssertOneLineError(await _cli.RunAsync("tenant", "delete", slug, "--yes"), 2);
        }

        await AssertUnchangedAsync(before);
    }

    [Theory]
    [MemberData(nameof(Arguments))]
    public async Task TokenAndIngest_HostileUserOrVisibility_ValidatedBeforeAnythingRuns(string name)
    {
        var hostile = HostileStrings.Get(name);
        using var file = new TempFile("note.txt", "Note\n\nSome text.\n");
        var before = await TenantRowsSnapshot.TakeAsync(server, "tenantrag");

        var token = await _cli.RunAsync("token", "--tenant", _caller, "--user", hostile.Value, "--json");
        var visibility = await _cli.RunAsync("ingest", _caller, file.Path, "--visibility", hostile.Value);

        // A user id is 1-128 printable characters without surrounding whitespace (SQL or markup in it is just a
        // name, and the token carries it as a JSON string). What arrives is what argv carried: UTF-8, so a lone
        // surrogate arrives as U+FFFD. The parser reads "--user=root" as the option given again (so the user is
        // root: scripts pass --user=VALUE); "@file" is just a name (response files are off, so nothing is read).
        // Only "tenant" and "private" are visibilities.
        var user = hostile.Value == "--user=root" ? "root" : Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(hostile.Value));
        if (HostileString.IsPrintableLineText(user) && user.Length <= 128 && user.Trim() == user)
        {
            Assert.True(token.ExitCode == 0, token.ToString());
            var payload = Base64UrlDecode(token.Json().GetProperty("token").GetString()!.Split('.')[1]);
            Assert.Equal(user, JsonDocument.Parse(payload).RootElement.GetProperty("sub").GetString());
        }
        else
        {
            // With --json the error is one line of JSON too.
            Assert.True(token.ExitCode == 2, token.ToString());
            Assert.Equal(string.Empty, token.StdOut);
            var error = JsonDocument.Parse(Assert.Single(token.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries))).RootElement;
            Assert.Equal(2, error.GetProperty("exitCode").GetInt32());
            Assert.DoesNotContain("Exception", error.GetProperty("error").GetString(), StringComparison.Ordinal);
        }

        AssertOneLineError(visibility, 2);
        await AssertUnchangedAsync(before);
    }

    [Fact]
    public async Task SearchAndAsk_ControlCharactersInAStoredDocument_NeverReachTheTerminal()
    {
        // An uploaded file may hold escape sequences (here: set the window title, clear the screen); printed as they
        // are, stored text could drive the terminal of whoever searches it. Extraction turns control characters into
        // spaces, and search and ask print any that reach them (older rows, other writers) as U+FFFD.
        using var file = new TempFile("escape.md", "# Zebra \u001b]0;owned\u0007report\n\nThe zebra \u001b[2J quarterly figures grew by a third.\n");
        var ingest = await _cli.RunAsync("ingest", _caller, file.Path, "--user", "alice");

        var search = await _cli.RunAsync("search", _caller, "zebra quarterly figures", "--user", "alice");
        var ask = await _cli.RunAsync("ask", _caller, "How much did the zebra quarterly figures grow?", "--user", "alice");

        Assert.True(ingest.ExitCode == 0, ingest.ToString());
        foreach (var run in new[] { search, ask })
        {
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Contains("Zebra", run.StdOut, StringComparison.Ordinal);
            Assert.DoesNotContain('\u001b', run.StdOut);
            Assert.DoesNotContain('\u0007', run.StdOut);
        }
    }

    private static byte[] Base64UrlDecode(string text) =>
        Convert.FromBase64String(text.Replace('-', '+').Replace('_', '/').PadRight(text.Length + ((4 - (text.Length % 4)) % 4), '='));

    private static void AssertOneLineError(CliRun run, int exitCode)
    {
        Assert.True(run.ExitCode == exitCode, $"expected exit {exitCode}: {run}");
        Assert.StartsWith("error: ", run.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", run.StdErr, StringComparison.Ordinal);
        Assert.Equal(string.Empty, run.StdOut);
    }

    private async Task AssertUnchangedAsync(TenantRowsSnapshot before)
    {
        var changes = (await TenantRowsSnapshot.TakeAsync(server, "tenantrag")).ChangesSince(before);
        Assert.True(changes.Count == 0, "rows changed:\n" + string.Join('\n', changes));
    }

    /// <summary>The command line and two tenants made with it, once for the class: the caller's and the other tenant.</summary>
    public sealed class Tenants(PostgresServer server) : IAsyncLifetime
    {
        public CliRunner Cli { get; } = TenantRagCli.For(server);

        public string Caller { get; } = Slugs.UniqueText("cli");

        public async ValueTask InitializeAsync()
        {
            await server.TrackPrefixAsync("tenantrag");
            foreach (var slug in new[] { Caller, HostileStrings.OtherTenant })
            {
                var created = await Cli.RunAsync("tenant", "create", slug, "--mode", "shared");
                Assert.True(created.ExitCode == 0, created.ToString());
            }
        }

        public async ValueTask DisposeAsync()
        {
            await Cli.RunAsync("tenant", "delete", Caller, "--yes");
            await Cli.RunAsync("tenant", "delete", HostileStrings.OtherTenant, "--yes");
            Cli.Dispose();
        }
    }

    private sealed class TempFile : IDisposable
    {
        private readonly string _directory = Directory.CreateTempSubdirectory("tenantrag-hostile-").FullName;

        public TempFile(string name, string content)
        {
            Path = System.IO.Path.Combine(_directory, name);
            File.WriteAllText(Path, content);
        }

        public string Path { get; }

        public void Dispose() => Directory.Delete(_directory, recursive: true);
    }
}
