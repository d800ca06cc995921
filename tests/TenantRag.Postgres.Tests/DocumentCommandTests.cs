using System.Text;
using System.Text.Json;
using TenantRag.Testing;

namespace TenantRag.Postgres.Tests;

/// <summary>
/// <c>tenantrag documents list|show|delete</c> through the real command line, acting as a user through a tenant
/// session: what the user may see and delete, and nothing else, in both isolation models. On an installation of its
/// own, so it runs beside the other command-line tests.
/// </summary>
[Trait("Category", "Isolation")]
public sealed class DocumentCommandTests(PostgresServer server) : IAsyncLifetime
{
    // An installation of its own, so that this class runs beside the other command-line tests.
    private const string Prefix = "trcli_docs";

    private const string Guide = "# Guide\n\nStart the server with the start command.\n\n## Stopping\n\nStop it with the stop command.\n";
    private const string Faq = "FAQ\n\nThe service keeps every tenant's data apart.\n";
    private const string Corpus = "{\"_id\": \"a1\", \"title\": \"Alpha\", \"text\": \"The first abstract.\"}\n{\"_id\": \"b2\", \"title\": \"Beta\", \"text\": \"The second abstract.\"}\n";
    private const string Salary = "# Salary\n\nBob earns 91,000 euros a year.\n";

    private readonly CliRunner _cli = TenantRagCli.For(server, Prefix);

    private readonly DirectoryInfo _files = Directory.CreateTempSubdirectory("tenantrag-documents-");

    public async ValueTask InitializeAsync() => await server.TrackPrefixAsync(Prefix);

    [Theory]
    [InlineData("shared")]
    [InlineData("dedicated")]
    public async Task Documents_ListShowDelete_ActAsTheUserThroughRowLevelSecurity(string mode)
    {
        var slug = await TenantAsync(mode);
        var other = await TenantAsync(mode);
        await IngestAsync(slug, "alice", "tenant", ("docs/guide.md", Guide), ("docs/faq.txt", Faq), ("docs/corpus.jsonl", Corpus));
        await IngestAsync(slug, "bob", "private", ("bob/salary.md", Salary));
        await IngestAsync(other, "alice", "tenant", ("theirs/guide.md", Guide));

        var aliceList = await RunAsync(0, "documents", "list", slug, "--user", "alice", "--json");
        var bobList = await RunAsync(0, "documents", "list", slug, "--user", "bob", "--json");
        var aliceText = await RunAsync(0, "documents", "list", slug, "--user", "alice");
        var documents = aliceList.Json().GetProperty("documents").EnumerateArray().ToList();
        var guide = Id(documents.Single(d => d.GetProperty("title").GetString() == "Guide"));
        var salary = Id(bobList.Json().GetProperty("documents").EnumerateArray().Single(d => d.GetProperty("title").GetString() == "Salary"));
        var theirs = Id((await RunAsync(0, "documents", "list", other, "--user", "alice", "--json")).Json().GetProperty("documents").EnumerateArray().Single());

        var showGuide = await RunAsync(0, "documents", "show", slug, guide, "--user", "alice", "--json");
        var showGuideText = await RunAsync(0, "documents", "show", slug, guide, "--user", "bob");
        var alicePrivate = await RunAsync(1, "documents", "show", slug, salary, "--user", "alice");
        var aliceForeign = await RunAsync(1, "documents", "show", slug, theirs, "--user", "alice");
        var bobDeletesAlices = await RunAsync(1, "documents", "delete", slug, guide, "--user", "bob", "--yes");
        var unconfirmed = await RunAsync(2, "documents", "delete", slug, guide, "--user", "alice");
        var aliceDeletesForeign = await RunAsync(1, "documents", "delete", slug, theirs, "--user", "alice", "--yes");
        var deleted = await RunAsync(0, "documents", "delete", slug, guide, "--user", "alice", "--yes", "--json");
        var afterDelete = await RunAsync(1, "documents", "show", slug, guide, "--user", "alice");

        Assert.Equal(["Alpha", "Beta", "FAQ", "Guide"], documents.Select(d => d.GetProperty("title").GetString()).Order(StringComparer.Ordinal));
        var byTitle = documents.ToDictionary(d => d.GetProperty("title").GetString()!);
        Assert.Equal(("guide.md", "text/markdown", (long)Encoding.UTF8.GetByteCount(Guide), "tenant", "alice"), Describe(byTitle["Guide"]));
        Assert.Equal(("faq.txt", "text/plain", (long)Encoding.UTF8.GetByteCount(Faq), "tenant", "alice"), Describe(byTitle["FAQ"]));
        Assert.Equal(("corpus.jsonl", "application/x-ndjson", (long)Encoding.UTF8.GetByteCount(Corpus.Split('\n')[1]), "tenant", "alice"), Describe(byTitle["Beta"]));
        Assert.Equal(JsonValueKind.Null, aliceList.Json().GetProperty("next").ValueKind);
        Assert.Equal(5, bobList.Json().GetProperty("documents").GetArrayLength());
        Assert.Contains("guide.md", aliceText.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain("Salary", aliceText.StdOut, StringComparison.Ordinal);

        var shown = showGuide.Json();
        Assert.Equal(guide, shown.GetProperty("id").GetString());
        Assert.Equal("Start the server with the start command.\n\nStopping\n\nStop it with the stop command.", shown.GetProperty("text").GetString());
        Assert.Contains("Stop it with the stop command.", showGuideText.StdOut, StringComparison.Ordinal);
        Assert.Contains("guide.md", showGuideText.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain("91,000", alicePrivate.StdOut + alicePrivate.StdErr, StringComparison.Ordinal);
        Assert.Contains("no document", alicePrivate.StdErr, StringComparison.Ordinal);
        Assert.Contains("no document", aliceForeign.StdErr, StringComparison.Ordinal);
        Assert.Contains("--yes", unconfirmed.StdErr, StringComparison.Ordinal);
        Assert.Equal(guide, deleted.Json().GetProperty("deleted").GetString());
        Assert.Contains("no document", afterDelete.StdErr, StringComparison.Ordinal);
        Assert.All(new[] { bobDeletesAlices, aliceDeletesForeign, unconfirmed }, r => Assert.Equal(string.Empty, r.StdOut));
        Assert.Equal(1, (await RunAsync(0, "documents", "list", other, "--user", "alice", "--json")).Json().GetProperty("documents").GetArrayLength());
    }

    [Fact]
    public async Task DocumentsList_LimitCursorAllAndFilter_WalkEveryDocumentOnce()
    {
        var slug = await TenantAsync("shared");
        await IngestAsync(slug, "carol", "tenant", [.. Enumerable.Range(1, 5).Select(i => ($"notes/note-{i}.txt", $"Note {i}\n\nThe text of note {i}.\n"))]);

        var first = await RunAsync(0, "documents", "list", slug, "--user", "carol", "--limit", "2", "--json");
        var second = await RunAsync(0, "documents", "list", slug, "--user", "carol", "--limit", "2", "--cursor", first.Json().GetProperty("next").GetString()!, "--json");
        var all = await RunAsync(0, "documents", "list", slug, "--user", "carol", "--limit", "2", "--all", "--json");
        var filtered = await RunAsync(0, "documents", "list", slug, "--user", "carol", "--filter", "NOTE-3", "--json");
        var text = await RunAsync(0, "documents", "list", slug, "--user", "carol", "--limit", "2");

        var allIds = Ids(all);
        Assert.Equal(5, allIds.Count);
        Assert.Equal(5, allIds.Distinct().Count());
        Assert.Equal(allIds[..4], Ids(first).Concat(Ids(second)));
        Assert.Equal(JsonValueKind.Null, all.Json().GetProperty("next").ValueKind);
        Assert.Equal(["Note 3"], filtered.Json().GetProperty("documents").EnumerateArray().Select(d => d.GetProperty("title").GetString()));
        Assert.Contains("--cursor ", text.StdOut + text.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Documents_BadUsage_Exit2WithOneLineErrorAndUnknownTenantExit1()
    {
        var slug = await TenantAsync("shared");
        await IngestAsync(slug, "dave", "tenant", ("keep.md", "# Keep\n\nThis stays.\n"));
        var keep = Ids(await RunAsync(0, "documents", "list", slug, "--user", "dave", "--json")).Single();

        var runs = new[]
        {
            await _cli.RunAsync("documents", "show", slug, "not-a-guid", "--user", "dave"),
            await _cli.RunAsync("documents", "delete", slug, "../" + keep, "--user", "dave", "--yes"),
            await _cli.RunAsync("documents", "show", slug, "--user", "dave"),
            await _cli.RunAsync("documents", "list", "Bad_Slug"),
            await _cli.RunAsync("documents", "list", slug, "--user", " padded "),
            await _cli.RunAsync("documents", "list", slug, "--limit", "0"),
            await _cli.RunAsync("documents", "list", slug, "--limit", "201"),
            await _cli.RunAsync("documents", "list", slug, "--cursor", "made-up"),
            await _cli.RunAsync("documents", "list", slug, "--filter", "a\u001bb"),
            await _cli.RunAsync("documents", "purge", slug),
        };
        var unknownTenant = await _cli.RunAsync("documents", "list", Slugs.UniqueText("nobody"));

        Assert.All(runs, r =>
        {
            Assert.True(r.ExitCode == 2, r.ToString());
            Assert.StartsWith("error: ", r.StdErr, StringComparison.Ordinal);
            Assert.Equal(string.Empty, r.StdOut);
        });
        Assert.True(unknownTenant.ExitCode == 1, unknownTenant.ToString());
        Assert.Contains("does not exist", unknownTenant.StdErr, StringComparison.Ordinal);
        Assert.Equal([keep], Ids(await RunAsync(0, "documents", "list", slug, "--user", "dave", "--json")));
    }

    [Fact]
    public async Task DocumentsDelete_OnATerminal_AsksAndDeletesOnlyOnYes()
    {
        Assert.SkipUnless(CliRunner.CanRunOnTerminal, "util-linux 'script' is not installed: no pseudo-terminal to run the command line on");
        var slug = await TenantAsync("shared");
        await IngestAsync(slug, "erin", "tenant", ("one.md", "# One\n\nFirst.\n"), ("two.md", "# Two\n\nSecond.\n"));
        var ids = Ids(await RunAsync(0, "documents", "list", slug, "--user", "erin", "--json"));

        var declined = await _cli.RunOnTerminalAsync("n\n", "documents", "delete", slug, ids[0], "--user", "erin");
        var empty = await _cli.RunOnTerminalAsync("\n", "documents", "delete", slug, ids[0], "--user", "erin");
        var confirmed = await _cli.RunOnTerminalAsync("yes\n", "documents", "delete", slug, ids[1], "--user", "erin");

        Assert.True(declined.ExitCode == 1, declined.ToString());
        Assert.Contains("[y/N]", declined.StdOut, StringComparison.Ordinal);
        Assert.Contains("not deleted", declined.StdOut, StringComparison.Ordinal);
        Assert.True(empty.ExitCode == 1, empty.ToString());
        Assert.True(confirmed.ExitCode == 0, confirmed.ToString());
        Assert.Contains("deleted", confirmed.StdOut, StringComparison.Ordinal);
        Assert.Equal([ids[0]], Ids(await RunAsync(0, "documents", "list", slug, "--user", "erin", "--json")));
    }

    public ValueTask DisposeAsync()
    {
        _cli.Dispose();
        _files.Delete(recursive: true);
        return ValueTask.CompletedTask;
    }

    private static string Id(JsonElement document) => document.GetProperty("id").GetString()!;

    private static List<string> Ids(CliRun run) => [.. run.Json().GetProperty("documents").EnumerateArray().Select(Id)];

    private static (string?, string?, long, string?, string?) Describe(JsonElement d) => (d.GetProperty("fileName").GetString(), d.GetProperty("mediaType").GetString(),
        d.GetProperty("byteSize").GetInt64(), d.GetProperty("visibility").GetString(), d.GetProperty("owner").GetString());

    private async Task<string> TenantAsync(string mode)
    {
        var slug = Slugs.UniqueText("docs");
        await RunAsync(0, "tenant", "create", slug, "--mode", mode);
        return slug;
    }

    // Files under a directory of their own, ingested as the user; each ingest is its own directory, so sources never clash.
    private async Task IngestAsync(string slug, string user, string visibility, params (string Path, string Text)[] files)
    {
        var root = _files.CreateSubdirectory(Guid.NewGuid().ToString("N"));
        foreach (var (path, text) in files)
        {
            var full = Path.Combine(root.FullName, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            await File.WriteAllTextAsync(full, text, TestContext.Current.CancellationToken);
        }

        await RunAsync(0, "ingest", slug, root.FullName, "--user", user, "--visibility", visibility);
    }

    private async Task<CliRun> RunAsync(int exitCode, params string[] args)
    {
        var run = await _cli.RunAsync(args);
        Assert.True(run.ExitCode == exitCode, $"tenantrag {string.Join(' ', args)}: {run}");
        return run;
    }
}
