using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using TenantRag.Testing;

namespace TenantRag.Server.Tests;

/// <summary>Uploads in the web page: each file a job, followed as it runs and after a reload, each refusal kept.</summary>
public sealed partial class BrowserTests
{
    [Fact]
    public async Task WebPage_Uploads_ShowQueuedThenEmbeddingProgressThenReady_AndAreFollowedAfterAReload()
    {
        // One worker and a model that takes 700 ms a turn: the manual embeds for several seconds while the memo waits.
        var model = new SlowEmbeddingGenerator(TimeSpan.FromMilliseconds(700));
        await using var server = await TestServer.StartAsync(postgres, "s_webjobs", new Dictionary<string, string?> { ["Jobs:Workers"] = "1" }, model);
        var (tenant, _) = await Uploads.TenantAsync(server, "webjobs");
        var manual = await WriteAsync(server, "manual.md", Manual(3_000));
        var memo = await WriteAsync(server, "memo.md", "# Lunch memo\n\nLunch is served at noon in the canteen on the first floor.\n"u8.ToArray());
        await using var browser = await BrowserSession.OpenAsync(server);
        var page = browser.Page;
        await browser.SignInAsync(tenant.Slug.Value, "alice");
        var manualStatus = browser.UploadRow("manual.md").Locator(".job-status");
        var memoStatus = browser.UploadRow("memo.md").Locator(".job-status");

        await page.SetInputFilesAsync("#file", [manual, memo]);
        await page.ClickAsync("#upload-form button[type=submit]");

        await browser.ExpectAsync(() => Assertions.Expect(memoStatus).ToHaveTextAsync("queued", new LocatorAssertionsToHaveTextOptions { Timeout = 60_000 }));
        await browser.ExpectAsync(() => Assertions.Expect(manualStatus).ToHaveTextAsync(Embedding(), new LocatorAssertionsToHaveTextOptions { Timeout = 60_000 }));
        var (done, total) = Progress(await manualStatus.TextContentAsync());
        Assert.InRange(done, 1, total - 1);
        await browser.ExpectAsync(() => Assertions.Expect(browser.UploadRow("manual.md").Locator("progress")).ToBeVisibleAsync());
        Assert.Equal(new (int, string?)[] { (202, null), (202, null) }, browser.Uploads.ToArray());

        // After a reload the page lists the jobs again (GET /v1/jobs), still unfinished, and follows them to the end.
        await page.ReloadAsync();
        await browser.ExpectAsync(() => Assertions.Expect(page.Locator("#app")).ToBeVisibleAsync());
        await browser.ExpectAsync(() => Assertions.Expect(manualStatus).ToHaveTextAsync(Embedding()));
        await browser.ExpectAsync(() => Assertions.Expect(memoStatus).ToHaveTextAsync("queued"));
        Assert.True(Progress(await manualStatus.TextContentAsync()).Done < total, "the manual was finished before the reload: the test proves nothing");
        await browser.ExpectAsync(() => Assertions.Expect(manualStatus).ToHaveTextAsync("ready", new LocatorAssertionsToHaveTextOptions { Timeout = 120_000 }));
        await browser.ExpectAsync(() => Assertions.Expect(memoStatus).ToHaveTextAsync("ready", new LocatorAssertionsToHaveTextOptions { Timeout = 60_000 }));
        await browser.ExpectAsync(() => Assertions.Expect(page.Locator("#documents")).ToContainTextAsync("Manual of 3000 steps"));
        await browser.ExpectAsync(() => Assertions.Expect(page.Locator("#documents")).ToContainTextAsync("Lunch memo"));
        await browser.ExpectAsync(() => Assertions.Expect(page.Locator("#jobs li")).ToHaveCountAsync(2));

        Assert.Contains(browser.Requests, r => r.StartsWith("GET /v1/jobs?limit=", StringComparison.Ordinal));
        Assert.Contains(browser.Requests, r => Regex.IsMatch(r, "^GET /v1/jobs/[0-9a-f-]{36}/events$"));
        Assert.Empty(browser.Errors);
        Assert.Empty(browser.Failures);
    }

    [Fact]
    public async Task WebPage_SeveralFilesSomeRefused_EachKeepsItsOwnMessage_AlsoAfterAReload()
    {
        var model = new SlowEmbeddingGenerator(TimeSpan.FromMilliseconds(20));
        await using var server = await TestServer.StartAsync(postgres, "s_webrefused", new Dictionary<string, string?> { ["Ingestion:MaxFileSizeBytes"] = "4096" }, model);
        var (tenant, _) = await Uploads.TenantAsync(server, "refused");
        string[] files =
        [
            await WriteAsync(server, "notes.md", "# Notes\n\nThe notes of the Monday meeting are kept here.\n"u8.ToArray()),
            await WriteAsync(server, "tool.exe", [0x4d, 0x5a, 0x90, 0x00, 0x03]),
            await WriteAsync(server, "empty.txt", []),
            await WriteAsync(server, "moved.html", "<html><head><meta http-equiv=\"refresh\" content=\"0; url=https://example.com/\"></head><body>Redirecting...</body></html>"u8.ToArray()),
            await WriteAsync(server, "big.txt", Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("Too much text for the limit. ", 200)))),
        ];
        await using var browser = await BrowserSession.OpenAsync(server);
        var page = browser.Page;
        await browser.SignInAsync(tenant.Slug.Value, "alice");

        await page.SetInputFilesAsync("#file", files);
        await page.ClickAsync("#upload-form button[type=submit]");

        var expected = new Dictionary<string, string>
        {
            ["notes.md"] = "ready",
            ["tool.exe"] = ".exe",
            ["empty.txt"] = "EmptyFile",
            ["moved.html"] = "RedirectOnly",
            ["big.txt"] = "TooLarge",
        };
        await AssertUploadRowsAsync(browser, expected);
        var shown = new Dictionary<string, string?>();
        foreach (var file in expected.Keys)
        {
            shown[file] = await browser.UploadRow(file).Locator(".job-status").TextContentAsync();
        }

        await page.ReloadAsync();
        await browser.ExpectAsync(() => Assertions.Expect(page.Locator("#app")).ToBeVisibleAsync());

        await AssertUploadRowsAsync(browser, expected);
        foreach (var (file, status) in shown)
        {
            await browser.ExpectAsync(() => Assertions.Expect(browser.UploadRow(file).Locator(".job-status")).ToHaveTextAsync(status!));
        }

        Assert.Equal(["413 POST /v1/documents", "422 POST /v1/documents", "422 POST /v1/documents"], browser.Failures.Order(StringComparer.Ordinal));
        Assert.Empty(browser.Errors);
    }

    // Each file has a row of its own, and each row says what became of its file.
    private static async Task AssertUploadRowsAsync(BrowserSession browser, Dictionary<string, string> expected)
    {
        await browser.ExpectAsync(() => Assertions.Expect(browser.Page.Locator("#jobs li")).ToHaveCountAsync(expected.Count, new LocatorAssertionsToHaveCountOptions { Timeout = 60_000 }));
        foreach (var (file, text) in expected)
        {
            var row = browser.UploadRow(file);
            await browser.ExpectAsync(() => Assertions.Expect(row.Locator(".job-status")).ToContainTextAsync(text, new LocatorAssertionsToContainTextOptions { Timeout = 60_000 }));
            await browser.ExpectAsync(() => Assertions.Expect(row).ToHaveAttributeAsync("data-state", text == "ready" ? "ready" : "failed"));
        }
    }

    private static Regex Embedding() => new(@"^embedding [1-9]\d* of \d+ chunks$");

    private static (int Done, int Total) Progress(string? status)
    {
        var match = Regex.Match(status ?? string.Empty, @"^embedding (\d+) of (\d+) chunks$");
        Assert.True(match.Success, $"not a progress: '{status}'");
        return (int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture));
    }

    private static async Task<string> WriteAsync(TestServer server, string name, byte[] content)
    {
        var directory = Path.Combine(server.Home.Root, "browser-files");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, name);
        await File.WriteAllBytesAsync(path, content, Ct);
        return path;
    }

    // Numbered, distinct sentences (identical chunks would be embedded once), about 20 to a chunk.
    private static byte[] Manual(int steps) => Encoding.UTF8.GetBytes(
        $"# Manual of {steps} steps\n\n" + string.Join("\n\n", Enumerable.Range(0, steps / 20).Select(p =>
            string.Join(" ", Enumerable.Range((p * 20) + 1, 20).Select(i => $"Step {i} turns dial {i % 13} to position {i * 3} and waits.")))) + "\n");
}
