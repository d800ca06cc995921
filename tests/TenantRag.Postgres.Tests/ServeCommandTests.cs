using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TenantRag.Testing;

namespace TenantRag.Postgres.Tests;

/// <summary>
/// <c>tenantrag serve</c> as a developer or an operator starts it: the development sign-in only when asked for (and
/// then with a warning), a one-line refusal when no identity provider is chosen at all, and nothing written outside
/// <c>$TENANTRAG_HOME</c>. Shares the 'tenantrag' installation with the other command-line tests, one at a time.
/// </summary>
[Collection(TenantCommandTests.CommandLineCollection)]
public sealed class ServeCommandTests(PostgresServer server) : IAsyncLifetime
{
    private readonly CliRunner _cli = TenantRagCli.For(server);

    private readonly string _tenant = Slugs.UniqueText("serve");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

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
    public async Task Serve_WithNeitherAnAuthorityNorDevAuth_Exit2WithOneLineNamingBoth()
    {
        var run = await _cli.RunAsync("serve", "--urls", "http://127.0.0.1:0");

        Assert.True(run.ExitCode == 2, run.ToString());
        var error = Assert.Single(run.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith("error: ", error, StringComparison.Ordinal);
        Assert.Contains("Auth:Authority", error, StringComparison.Ordinal);
        Assert.Contains("--dev-auth", error, StringComparison.Ordinal);
        Assert.DoesNotContain("serving on", run.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_DevAuth_WarnsAndSignsInOnlyDirectRequestsFromThisMachine()
    {
        await using var serve = await _cli.StartAsync(new Dictionary<string, string>(), "serve", "--dev-auth", "--urls", "http://127.0.0.1:0");
        using var http = new HttpClient { BaseAddress = await AddressAsync(serve) };

        var signIn = await http.PostAsJsonAsync("/auth/dev-token", new { tenant = _tenant, user = "alice" }, Ct);
        using var relayed = new HttpRequestMessage(HttpMethod.Post, "/auth/dev-token") { Content = JsonContent.Create(new { tenant = _tenant, user = "alice" }) };
        relayed.Headers.Add("X-Forwarded-For", "203.0.113.7");
        var proxied = await http.SendAsync(relayed, Ct);
        var stopped = await serve.StopAsync();

        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, proxied.StatusCode);
        Assert.True(stopped.ExitCode == 0, stopped.ToString());
        var warning = Assert.Single(stopped.StdErr.Split('\n'), l => l.StartsWith("warning: ", StringComparison.Ordinal));
        Assert.Contains("--dev-auth", warning, StringComparison.Ordinal);
        Assert.Contains("any tenant", warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_StartedAndUsed_WritesNothingOutsideItsHome()
    {
        // An empty HOME (and XDG directories inside it): anything the server, ASP.NET or the runtime write for the
        // user lands there, and must not.
        var userHome = Directory.CreateTempSubdirectory("tenantrag-user-home-").FullName;
        try
        {
            var environment = new Dictionary<string, string>
            {
                ["HOME"] = userHome,
                ["XDG_DATA_HOME"] = Path.Combine(userHome, ".local", "share"),
                ["XDG_CONFIG_HOME"] = Path.Combine(userHome, ".config"),
                ["XDG_CACHE_HOME"] = Path.Combine(userHome, ".cache"),
                ["TenantRag__Auth__DevelopmentIssuer"] = "true",
            };
            await using var serve = await _cli.StartAsync(environment, "serve", "--urls", "http://127.0.0.1:0");
            using var http = new HttpClient { BaseAddress = await AddressAsync(serve) };

            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/", Ct)).StatusCode);
            var signIn = await http.PostAsJsonAsync("/auth/dev-token", new { tenant = _tenant, user = "alice" }, Ct);
            var token = (await signIn.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("token").GetString();
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            using var uploadRequest = new HttpRequestMessage(HttpMethod.Post, "/v1/documents")
            {
                Content = JsonContent.Create(new { title = "Home", text = "Nothing leaves the home directory.", visibility = "private" }),
                Headers = { { "Prefer", "wait=60" } },
            };
            var upload = await http.SendAsync(uploadRequest, Ct);
            var search = await http.PostAsJsonAsync("/v1/search", new { query = "home directory", k = 3 }, Ct);
            var stopped = await serve.StopAsync();

            Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
            Assert.Equal(HttpStatusCode.OK, search.StatusCode);
            Assert.True(stopped.ExitCode == 0, stopped.ToString());
            Assert.Empty(Directory.EnumerateFileSystemEntries(userHome, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(userHome, p)));
        }
        finally
        {
            Directory.Delete(userHome, recursive: true);
        }
    }

    /// <summary>Where the server listens, from its "serving on ..." line.</summary>
    private static async Task<Uri> AddressAsync(CliProcess serve)
    {
        var line = await serve.WaitForLineAsync(l => l.StartsWith("serving on ", StringComparison.Ordinal));
        return new Uri(line["serving on ".Length..].Split([',', ' '], StringSplitOptions.RemoveEmptyEntries)[0]);
    }
}
