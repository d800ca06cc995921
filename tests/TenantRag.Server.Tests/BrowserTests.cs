using Microsoft.Playwright;
using TenantRag.Documents;
using TenantRag.Postgres.Documents;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Server.Tests;

/// <summary>
/// The web page in headless Chromium (Debian's, driven by Playwright): sign in with the development issuer, upload a
/// file, ask a question and see a cited answer, on a desktop and on a narrow screen. Screenshots go to
/// <c>artifacts/screenshots/</c>.
/// </summary>
public sealed class BrowserTests(PostgresServer postgres)
{
    private const string Chromium = "/usr/bin/chromium";

    [Theory]
    [InlineData("desktop", 1280, 900)]
    [InlineData("phone", 390, 844)]
    public async Task WebPage_SignInUploadAsk_ShowsCitedAnswer(string name, int width, int height)
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: install Debian's chromium (apt-get install chromium), as .ci/run does");
        var ct = TestContext.Current.CancellationToken;
        await using var server = await TestServer.StartAsync(postgres, "s_web");
        var tenant = await server.Database.Catalog.CreateAsync(Slugs.Unique("web"), TenancyMode.Shared, ct);
        var file = Path.Combine(server.Home.Root, $"handbook-{name}.md");
        Directory.CreateDirectory(server.Home.Root);
        await File.WriteAllTextAsync(file, "# Employee handbook\n\nEmployees get 30 days of paid vacation per year. Unused days carry over until March.\n\n## Parking\n\nVisitors park on level 2 of the garage.\n", ct);

        // More than a page of older documents (written straight to the database: no model needed), so the list pages.
        await using (var session = await server.Database.Sessions.OpenSessionAsync(TenantContext.For(tenant.Slug, UserId.Parse("bob")), ct))
        {
            for (var i = 0; i < DocumentListQuery.DefaultLimit; i++)
            {
                await DocumentStore.AddTextAsync(session, $"Old memo {i}", $"Memo number {i}.", DocumentVisibility.Tenant, ct);
            }

            await session.CommitAsync(ct);
        }

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = width, Height = height } });
        var errors = new List<string>();
        page.PageError += (_, error) => errors.Add(error);
        var failures = new List<string>();
        page.Response += (_, response) =>
        {
            if (response.Status >= 400)
            {
                failures.Add($"{response.Status} {response.Request.Method} {response.Url} {response.Headers.GetValueOrDefault("www-authenticate")}");
            }
        };

        await page.GotoAsync(server.Client.BaseAddress!.ToString());
        await page.Locator("#dev-form").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Visible });
        await page.FillAsync("#dev-tenant", tenant.Slug.Value);
        await page.FillAsync("#dev-user", "alice");
        await page.ClickAsync("#dev-form button[type=submit]");
        await page.Locator("#app").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Visible });

        async Task ExpectAsync(Func<Task> expectation)
        {
            try
            {
                await expectation();
            }
            catch (PlaywrightException ex)
            {
                throw new Xunit.Sdk.XunitException($"{ex.Message}\nfailed responses: {string.Join("; ", failures)}\npage errors: {string.Join("; ", errors)}");
            }
        }

        await page.SetInputFilesAsync("#file", file);
        await page.ClickAsync("#upload-form button[type=submit]");
        await ExpectAsync(() => Assertions.Expect(page.Locator("#upload-status")).ToContainTextAsync("added", new LocatorAssertionsToContainTextOptions { Timeout = 30_000 }));
        await ExpectAsync(() => Assertions.Expect(page.Locator("#documents")).ToContainTextAsync("Employee handbook"));
        await ExpectAsync(() => Assertions.Expect(page.Locator("#documents")).ToContainTextAsync($"handbook-{name}.md"));
        await ExpectAsync(() => Assertions.Expect(page.Locator("#documents li")).ToHaveCountAsync(DocumentListQuery.DefaultLimit));
        await page.ClickAsync("#documents-more");
        await ExpectAsync(() => Assertions.Expect(page.Locator("#documents li")).ToHaveCountAsync(DocumentListQuery.DefaultLimit + 1));
        await ExpectAsync(() => Assertions.Expect(page.Locator("#documents-more")).ToBeHiddenAsync());

        await page.FillAsync("#question", "How many vacation days do employees get?");
        await page.ClickAsync("#ask-form button[type=submit]");
        await ExpectAsync(() => Assertions.Expect(page.Locator("#answer")).ToContainTextAsync("30 days", new LocatorAssertionsToContainTextOptions { Timeout = 30_000 }));
        await ExpectAsync(() => Assertions.Expect(page.Locator("#citations li")).ToContainTextAsync(["Employee handbook (chunk 0)"]));
        await page.ClickAsync("#answer a.cite");
        await ExpectAsync(() => Assertions.Expect(page.Locator("#citations li.focus")).ToHaveCountAsync(1));
        await ExpectAsync(() => Assertions.Expect(page.Locator("#usage")).ToContainTextAsync("queries"));

        var directory = Path.Combine(RepositoryRoot(), "artifacts", "screenshots");
        Directory.CreateDirectory(directory);
        var screenshot = Path.Combine(directory, $"web-{name}.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });

        Assert.Empty(errors);
        Assert.Empty(failures);
        Assert.True(new FileInfo(screenshot).Length > 10_000);
        var scrollWidth = await page.EvaluateAsync<int>("document.documentElement.scrollWidth");
        Assert.True(scrollWidth <= width, $"the page is {scrollWidth}px wide on a {width}px screen");
    }

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
