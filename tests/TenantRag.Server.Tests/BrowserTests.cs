using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using TenantRag.Documents;
using TenantRag.Postgres.Documents;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Server.Tests;

/// <summary>
/// The web page in headless Chromium against the real server: only the sign-in before sign-in; uploads shown as jobs
/// (queued, embedding n of m chunks, ready or the error), still shown and followed after a reload; every refused file
/// keeps its own message; the document list pages and filters; deleting asks first; a citation opens its passage in
/// the document. On a desktop and on a narrow screen; screenshots go to <c>artifacts/screenshots/</c>.
/// </summary>
public sealed partial class BrowserTests(PostgresServer postgres)
{
    private const string Vacation = "Employees get 30 days of paid vacation per year. Unused days carry over until March.";
    private const string Holidays = "Public holidays follow the calendar of the city office.";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("desktop", 1280, 900)]
    [InlineData("phone", 390, 844)]
    public async Task WebPage_SignInUploadAsk_ShowsCitedAnswer(string name, int width, int height)
    {
        await using var server = await TestServer.StartAsync(postgres, "s_web");
        var (tenant, alice) = await Uploads.TenantAsync(server, "web");
        var file = Path.Combine(server.Home.Root, $"handbook-{name}.md");
        Directory.CreateDirectory(server.Home.Root);
        await File.WriteAllTextAsync(file, Handbook(), Ct);

        // More than a page of older documents (written straight to the database: no model needed), so the list pages.
        await using (var session = await server.Database.Sessions.OpenSessionAsync(TenantContext.For(tenant.Slug, UserId.Parse("bob")), Ct))
        {
            for (var i = 0; i < DocumentListQuery.DefaultLimit; i++)
            {
                await DocumentStore.AddTextAsync(session, $"Old memo {i}", $"Memo number {i}.", DocumentVisibility.Tenant, Ct);
            }

            await session.CommitAsync(Ct);
        }

        await using var browser = await BrowserSession.OpenAsync(server, width, height);
        var page = browser.Page;

        // Before sign-in, only the sign-in: nothing else is seen, and Tab never reaches it.
        foreach (var hidden in new[] { "#app", "#upload-form", "#jobs", "#documents-filter", "#documents", "#question", "#usage", "#signout" })
        {
            await browser.ExpectAsync(() => Assertions.Expect(page.Locator(hidden)).ToBeHiddenAsync());
        }

        Assert.Empty(await FocusWalkAsync(page, 15));

        await browser.SignInAsync(tenant.Slug.Value, "alice");

        // The upload is a job (202, no waiting for it), shown until it is ready with its document.
        await page.SetInputFilesAsync("#file", file);
        await page.ClickAsync("#upload-form button[type=submit]");
        var row = browser.UploadRow($"handbook-{name}.md");
        await browser.ExpectAsync(() => Assertions.Expect(row.Locator(".job-status")).ToHaveTextAsync("ready", new LocatorAssertionsToHaveTextOptions { Timeout = 90_000 }));
        await browser.ExpectAsync(() => Assertions.Expect(row.Locator(".job-documents button")).ToHaveCountAsync(1));
        Assert.Equal(new (int, string?)[] { (202, null) }, browser.Uploads.ToArray());
        await browser.ExpectAsync(() => Assertions.Expect(page.Locator("#documents")).ToContainTextAsync("Employee handbook"));
        await browser.ExpectAsync(() => Assertions.Expect(page.Locator("#documents")).ToContainTextAsync($"handbook-{name}.md"));

        // The list pages with its cursor, and filters by title or file name.
        await browser.ExpectAsync(() => Assertions.Expect(page.Locator("#documents li")).ToHaveCountAsync(DocumentListQuery.DefaultLimit));
        await page.ClickAsync("#documents-more");
        await browser.ExpectAsync(() => Assertions.Expect(page.Locator("#documents li")).ToHaveCountAsync(DocumentListQuery.DefaultLimit + 1));
        await browser.ExpectAsync(() => Assertions.Expect(page.Locator("#documents-more")).ToBeHiddenAsync());
        await page.FillAsync("#documents-filter", "MEMO 4");
        await browser.ExpectAsync(() => Assertions.Expect(page.Locator("#documents li .doc-open")).ToHaveCountAsync(11));
        Assert.Equal(new[] { "Old memo 4" }.Concat(Enumerable.Range(40, 10).Select(i => $"Old memo {i}")),
            (await page.Locator("#documents li .doc-open").AllTextContentsAsync()).Order(StringComparer.Ordinal));
        await browser.ExpectAsync(() => Assertions.Expect(page.Locator("#documents-more")).ToBeHiddenAsync());
        await page.FillAsync("#documents-filter", $"handbook-{name}");
        await browser.ExpectAsync(() => Assertions.Expect(page.Locator("#documents li .doc-open")).ToHaveTextAsync(["Employee handbook"]));
        await page.FillAsync("#documents-filter", "");
        await browser.ExpectAsync(() => Assertions.Expect(page.Locator("#documents li")).ToHaveCountAsync(DocumentListQuery.DefaultLimit));
        await browser.ExpectAsync(() => Assertions.Expect(page.Locator("#documents-more")).ToBeVisibleAsync());
        Assert.Contains(browser.Requests, r => r.Contains("/v1/documents?q=MEMO+4", StringComparison.Ordinal));
        Assert.Contains(browser.Requests, r => r.StartsWith("GET /v1/documents?cursor=", StringComparison.Ordinal));

        // A citation opens the document at its passage, marked and scrolled into view.
        await page.FillAsync("#question", "How many vacation days do employees get?");
        await page.ClickAsync("#ask-form button[type=submit]");
        await browser.ExpectAsync(() => Assertions.Expect(page.Locator("#answer")).ToContainTextAsync("30 days", new LocatorAssertionsToContainTextOptions { Timeout = 60_000 }));
        await browser.ExpectAsync(() => Assertions.Expect(page.Locator("#citations li").First).ToContainTextAsync("Employee handbook (chunk "));
        var viewer = page.Locator("#viewer");
        var marks = page.Locator("#viewer-text mark");
        await page.Locator("#answer a.cite", new PageLocatorOptions { HasText = "[1]" }).First.ClickAsync();
        await browser.ExpectAsync(() => Assertions.Expect(viewer).ToBeVisibleAsync());
        await browser.ExpectAsync(() => Assertions.Expect(page.Locator("#viewer-title")).ToHaveTextAsync("Employee handbook"));
        // The cited chunk merges two small sections: each is marked, the heading between them in the text is not.
        await browser.ExpectAsync(() => Assertions.Expect(marks).ToHaveTextAsync([Vacation, Holidays]));
        await browser.ExpectAsync(() => Assertions.Expect(marks.First).ToBeInViewportAsync());
        await browser.ExpectAsync(() => Assertions.Expect(page.Locator("#viewer-text")).ToContainTextAsync("Visitors park on level 2 of the garage."));
        await browser.ExpectAsync(() => Assertions.Expect(page.Locator("#viewer-text")).ToContainTextAsync("Fire drills rule 1 asks"));
        await browser.ExpectAsync(() => Assertions.Expect(marks.Filter(new LocatorFilterOptions { HasText = "Visitors park" })).ToHaveCountAsync(0));
        await browser.ExpectAsync(() => Assertions.Expect(page.Locator("#viewer-note")).ToBeHiddenAsync());
        await browser.ExpectAsync(() => Assertions.Expect(page.Locator("#citations li.focus")).ToHaveCountAsync(1));
        Assert.False(await page.Locator("#viewer-text").EvaluateAsync<bool>("e => e.scrollTop === 0"), "the viewer was not scrolled to the passage");
        var directory = Path.Combine(RepositoryRoot(), "artifacts", "screenshots");
        Directory.CreateDirectory(directory);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(directory, $"web-{name}-passage.png") });
        await page.ClickAsync("#viewer-close");
        await browser.ExpectAsync(() => Assertions.Expect(viewer).ToBeHiddenAsync());
        await page.Locator("#citations li button").First.ClickAsync();
        await browser.ExpectAsync(() => Assertions.Expect(marks.First).ToContainTextAsync("Employees get 30 days"));
        await page.ClickAsync("#viewer-close");
        await browser.ExpectAsync(() => Assertions.Expect(page.Locator("#usage")).ToContainTextAsync("queries"));

        var screenshot = Path.Combine(directory, $"web-{name}.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });
        Assert.True(new FileInfo(screenshot).Length > 10_000);
        var scrollWidth = await page.EvaluateAsync<int>("document.documentElement.scrollWidth");
        Assert.True(scrollWidth <= width, $"the page is {scrollWidth}px wide on a {width}px screen");

        // Deleting asks first: cancelled, nothing is sent and the document stays; confirmed, it is gone.
        var documentId = await HandbookIdAsync(server, alice);
        await page.FillAsync("#documents-filter", "handbook");
        await browser.ExpectAsync(() => Assertions.Expect(page.Locator("#documents li .doc-open")).ToHaveTextAsync(["Employee handbook"]));
        await page.ClickAsync("#documents li .doc-delete");
        await browser.ExpectAsync(() => Assertions.Expect(page.Locator("#confirm-delete")).ToBeVisibleAsync());
        await browser.ExpectAsync(() => Assertions.Expect(page.Locator("#confirm-delete-text")).ToContainTextAsync("Employee handbook"));
        await page.ClickAsync("#confirm-delete-no");
        await browser.ExpectAsync(() => Assertions.Expect(page.Locator("#confirm-delete")).ToBeHiddenAsync());
        await browser.ExpectAsync(() => Assertions.Expect(page.Locator("#documents li .doc-open")).ToHaveTextAsync(["Employee handbook"]));
        Assert.DoesNotContain(browser.Requests, r => r.StartsWith("DELETE ", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.OK, (await server.GetAsync($"/v1/documents/{documentId}", alice)).StatusCode);
        await page.ClickAsync("#documents li .doc-delete");
        await page.ClickAsync("#confirm-delete-yes");
        await browser.ExpectAsync(() => Assertions.Expect(page.Locator("#documents li")).ToHaveTextAsync(["No document's title or file name contains “handbook”."]));
        Assert.Equal([$"DELETE /v1/documents/{documentId}"], browser.Requests.Where(r => r.StartsWith("DELETE ", StringComparison.Ordinal)));
        Assert.Equal(HttpStatusCode.NotFound, (await server.GetAsync($"/v1/documents/{documentId}", alice)).StatusCode);

        // Signing out leaves only the sign-in again, with nothing of the session left in the page.
        await page.ClickAsync("#signout");
        await browser.ExpectAsync(() => Assertions.Expect(page.Locator("#dev-form")).ToBeVisibleAsync());
        await browser.ExpectAsync(() => Assertions.Expect(page.Locator("#app")).ToBeHiddenAsync());
        Assert.Equal(0, await page.Locator("#app li, #answer a, #usage dt").CountAsync());
        Assert.Empty(await FocusWalkAsync(page, 15));

        Assert.Empty(browser.Errors);
        Assert.Empty(browser.Failures);
    }

    // Pressing Tab again and again: the elements reached that are part of the signed-in page (none before sign-in).
    private static async Task<List<string>> FocusWalkAsync(IPage page, int presses)
    {
        var reached = new List<string>();
        for (var i = 0; i < presses; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            var inside = await page.EvaluateAsync<string?>(
                "() => { const e = document.activeElement; return e && e.closest('#app, dialog, #signout') ? (e.id || e.tagName) : null; }");
            if (inside is not null)
            {
                reached.Add(inside);
            }
        }

        return reached;
    }

    private static async Task<Guid> HandbookIdAsync(TestServer server, string token)
    {
        var page = await (await server.GetAsync("/v1/documents?q=handbook", token)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        return page.GetProperty("documents").EnumerateArray().Single().GetProperty("id").GetGuid();
    }

    // A handbook whose vacation and holiday sections (small: one chunk) sit between sections long enough to be chunks
    // of their own, far down the page.
    private static string Handbook()
    {
        var text = new StringBuilder("# Employee handbook\n\nThis handbook collects the rules of the office, one section per subject.\n\n");
        foreach (var subject in new[] { "Office hours", "Fire drills", "Expense reports", "Laptops" })
        {
            text.Append(Rules(subject));
        }

        text.Append($"## Vacation\n\n{Vacation}\n\n## Holidays\n\n{Holidays}\n\n");
        text.Append(Rules("Training")).Append(Rules("Badges"));
        text.Append("## Parking\n\nVisitors park on level 2 of the garage.\n");
        return text.ToString();
    }

    private static string Rules(string subject) =>
        $"## {subject}\n\n" + string.Concat(Enumerable.Range(1, 14).Select(i =>
            $"{subject} rule {i} asks everyone to file form {subject[..3].ToUpperInvariant()}-{i * 11} with the office manager before noon on a weekday. ")) + "\n\n";

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "TenantRag.slnx")))
            {
                return dir.FullName;
            }
        }

        return Path.GetTempPath();
    }
}
