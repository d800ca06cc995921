using System.Collections.Concurrent;
using Microsoft.Playwright;

namespace TenantRag.Server.Tests;

/// <summary>
/// The web page of a <see cref="TestServer"/> in headless Chromium (Debian's, driven by Playwright), with every request,
/// failed response and page error recorded, so a failed expectation says what the page saw.
/// </summary>
internal sealed class BrowserSession : IAsyncDisposable
{
    private const string Chromium = "/usr/bin/chromium";

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private BrowserSession(IPlaywright playwright, IBrowser browser, IPage page)
    {
        _playwright = playwright;
        _browser = browser;
        Page = page;
        page.PageError += (_, error) => Errors.Enqueue(error);
        page.Request += (_, request) => Requests.Enqueue($"{request.Method} {new Uri(request.Url).PathAndQuery}");
        page.Response += (_, response) =>
        {
            if (response.Request.Method == "POST" && new Uri(response.Url).AbsolutePath.TrimEnd('/') == "/v1/documents")
            {
                Uploads.Enqueue((response.Status, response.Request.Headers.GetValueOrDefault("prefer")));
            }

            if (response.Status >= 400)
            {
                Failures.Enqueue($"{response.Status} {response.Request.Method} {new Uri(response.Url).PathAndQuery}");
            }
        };
    }

    public IPage Page { get; }

    /// <summary>Uncaught errors of the page's scripts.</summary>
    public ConcurrentQueue<string> Errors { get; } = new();

    /// <summary>Responses of 400 or more: "status METHOD path".</summary>
    public ConcurrentQueue<string> Failures { get; } = new();

    /// <summary>Every request the page made: "METHOD path?query".</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>The answers to <c>POST /v1/documents</c>, with the request's <c>Prefer</c> header.</summary>
    public ConcurrentQueue<(int Status, string? Prefer)> Uploads { get; } = new();

    public static async Task<BrowserSession> OpenAsync(TestServer server, int width = 1280, int height = 900)
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: install Debian's chromium (apt-get install chromium), as .ci/run does");
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = width, Height = height } });
        var session = new BrowserSession(playwright, browser, page);
        await page.GotoAsync(server.Client.BaseAddress!.ToString());
        await page.Locator("#dev-form").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Visible });
        return session;
    }

    /// <summary>Signs in through the development sign-in form.</summary>
    public async Task SignInAsync(string tenant, string user)
    {
        await Page.FillAsync("#dev-tenant", tenant);
        await Page.FillAsync("#dev-user", user);
        await Page.ClickAsync("#dev-form button[type=submit]");
        await Page.Locator("#app").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Visible });
    }

    /// <summary>The row of the upload of <paramref name="fileName"/> in the uploads list.</summary>
    public ILocator UploadRow(string fileName) => Page.Locator("#jobs li", new PageLocatorOptions { HasText = fileName });

    /// <summary>Runs a Playwright expectation; when it fails, the failure names the failed responses and page errors.</summary>
    public async Task ExpectAsync(Func<Task> expectation)
    {
        try
        {
            await expectation();
        }
        catch (PlaywrightException ex)
        {
            throw new Xunit.Sdk.XunitException($"{ex.Message}\nfailed responses: {string.Join("; ", Failures)}\npage errors: {string.Join("; ", Errors)}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
