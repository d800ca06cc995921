using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Server.Tests;

/// <summary>
/// <c>/auth/dev-token</c> mints a token for any tenant and user, so it must answer only a developer at this machine:
/// never a request relayed by a reverse proxy on the same host (which connects from loopback), never a page that
/// reached it under a foreign host name (DNS rebinding), and not at all unless the development issuer was chosen.
/// </summary>
public sealed class DevelopmentSignInTests(PostgresServer postgres) : IAsyncLifetime
{
    private TestServer _server = null!;
    private string _tenant = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private int Port => _server.Client.BaseAddress!.Port;

    public async ValueTask InitializeAsync()
    {
        _server = await TestServer.StartAsync(postgres, "s_devauth");
        _tenant = (await _server.Database.Catalog.CreateAsync(Slugs.Unique("dev"), TenancyMode.Shared, Ct)).Slug.Value;
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData("Forwarded", "for=203.0.113.7;proto=https;host=rag.example.com")]
    [InlineData("X-Forwarded-For", "203.0.113.7")]
    [InlineData("X-Forwarded-Host", "rag.example.com")]
    [InlineData("X-Forwarded-Proto", "https")]
    [InlineData("X-Forwarded-Port", "443")]
    [InlineData("X-Real-IP", "203.0.113.7")]
    [InlineData("Via", "1.1 caddy")]
    [InlineData("True-Client-IP", "203.0.113.7")]
    [InlineData("X-Client-IP", "203.0.113.7")]
    [InlineData("CF-Connecting-IP", "203.0.113.7")]
    [InlineData("x-forwarded-for", "127.0.0.1")]
    public async Task DevToken_RelayedByAProxy_Returns403WithoutAToken(string header, string value)
    {
        // A reverse proxy on the same host connects from loopback; the headers it adds are what gives it away.
        using var request = DevTokenRequest();
        request.Headers.TryAddWithoutValidation(header, value);

        var response = await _server.Client.SendAsync(request, Ct);

        await AssertRefusedAsync(response, header);
    }

    [Theory]
    [InlineData("rag.example.com")]
    [InlineData("rag.example.com:{port}")]
    [InlineData("localhost.rag.example.com:{port}")]
    [InlineData("127.0.0.1.nip.io:{port}")]
    [InlineData("127.0.0.2:{port}")]
    [InlineData("0.0.0.0:{port}")]
    [InlineData("[::ffff:127.0.0.1]:{port}")]
    public async Task DevToken_ForeignHostHeader_Returns403WithoutAToken(string host)
    {
        // DNS rebinding: a page on rag.example.com whose name now resolves to 127.0.0.1 calls the server from the
        // developer's browser; the request carries the page's host name.
        using var request = DevTokenRequest();
        request.Headers.Host = host.Replace("{port}", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

        var response = await _server.Client.SendAsync(request, Ct);

        await AssertRefusedAsync(response, "Host");
    }

    [Theory]
    [InlineData("http://rag.example.com:{port}")]
    [InlineData("https://rag.example.com")]
    [InlineData("null")]
    public async Task DevToken_ForeignOrigin_Returns403WithoutAToken(string origin)
    {
        // A proxy that rewrites Host to the upstream's (nginx's default) still passes the browser's Origin on.
        using var request = DevTokenRequest();
        request.Headers.TryAddWithoutValidation("Origin", origin.Replace("{port}", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));

        var response = await _server.Client.SendAsync(request, Ct);

        await AssertRefusedAsync(response, "Origin");
    }

    [Fact]
    public async Task DevToken_Http10_Returns403WithoutAToken()
    {
        // nginx speaks HTTP/1.0 to its upstream unless told otherwise, and adds no forwarding header by default.
        // HTTP/1.0 has no chunked bodies: the JSON goes with a length.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/auth/dev-token")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { tenant = _tenant, user = "mallory" }), System.Text.Encoding.UTF8, "application/json"),
        };
        request.Version = HttpVersion.Version10;
        request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;

        var response = await _server.Client.SendAsync(request, Ct);

        await AssertRefusedAsync(response, "HTTP/1.0");
    }

    [Theory]
    [InlineData("127.0.0.1:{port}", null)]
    [InlineData("localhost:{port}", "http://localhost:{port}")]
    [InlineData("LOCALHOST", null)]
    [InlineData("[::1]:{port}", "http://[::1]:{port}")]
    [InlineData("127.0.0.1", "http://127.0.0.1:{port}")]
    public async Task DevToken_FromThisMachine_IssuesATokenThatWorks(string host, string? origin)
    {
        var port = Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var request = DevTokenRequest();
        request.Headers.Host = host.Replace("{port}", port, StringComparison.Ordinal);
        if (origin is not null)
        {
            request.Headers.TryAddWithoutValidation("Origin", origin.Replace("{port}", port, StringComparison.Ordinal));
            request.Headers.TryAddWithoutValidation("Sec-Fetch-Site", "same-origin");
        }

        var response = await _server.Client.SendAsync(request, Ct);
        var token = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("token").GetString();
        var list = await _server.GetAsync("/v1/documents", token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
    }

    [Fact]
    public async Task Server_WithNeitherAnAuthorityNorTheDevelopmentIssuer_RefusesToStartNamingBothWays()
    {
        var ex = await Assert.ThrowsAsync<UsageException>(() => TestServer.StartAsync(postgres, "s_devauth",
            new Dictionary<string, string?> { ["Auth:DevelopmentIssuer"] = "false" }));

        Assert.Equal(2, ex.ExitCode);
        Assert.Contains("Auth:Authority", ex.Message, StringComparison.Ordinal);
        Assert.Contains("--dev-auth", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public async Task Server_WithBothAnAuthorityAndTheDevelopmentIssuer_RefusesToStart()
    {
        var ex = await Assert.ThrowsAsync<UsageException>(() => TestServer.StartAsync(postgres, "s_devauth", new Dictionary<string, string?>
        {
            ["Auth:DevelopmentIssuer"] = "true",
            ["Auth:JwksUrl"] = "https://issuer.test/jwks.json",
        }));

        Assert.Contains("Auth:DevelopmentIssuer", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Auth:JwksUrl", ex.Message, StringComparison.Ordinal);
    }

    private HttpRequestMessage DevTokenRequest() => new(HttpMethod.Post, "/auth/dev-token")
    {
        Content = JsonContent.Create(new { tenant = _tenant, user = "mallory" }),
    };

    private static async Task AssertRefusedAsync(HttpResponseMessage response, string named)
    {
        var body = await response.Content.ReadAsStringAsync(Ct);

        Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"expected 403, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("token\":\"ey", body, StringComparison.Ordinal);
        Assert.Contains(named, body, StringComparison.OrdinalIgnoreCase);
    }
}
