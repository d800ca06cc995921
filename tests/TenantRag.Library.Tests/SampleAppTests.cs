using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using TenantRag.Server.Tests;
using TenantRag.Testing;

namespace TenantRag.Library.Tests;

/// <summary>
/// The sample app (samples/TenantRag.Sample), as this build made it: an ASP.NET Core app of its own that registers
/// TenantRag with <c>AddTenantRag</c>/<c>AddTenantRagApi</c>/<c>MapTenantRagApi</c> and its own identity settings
/// (audience <c>sample-api</c>, tenant claim <c>org</c>), started as a process against a real PostgreSQL and called over HTTP.
/// </summary>
public sealed class SampleAppTests(PostgresServer server) : IAsyncLifetime
{
    private const string Audience = "sample-api";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private JwksServer _idp = null!;

    public async ValueTask InitializeAsync() => _idp = await JwksServer.StartAsync();

    public async ValueTask DisposeAsync() => await _idp.DisposeAsync();

    [Fact]
    public async Task Sample_ServesTheApiAndItsOwnEndpoint_EachTenantSeesOnlyItsOwnRows_BothModels()
    {
        using var runner = new CliRunner(server, BuiltAssemblies.Sample) { WorkingDirectory = Path.GetDirectoryName(BuiltAssemblies.Sample) };
        await using var sample = await runner.StartAsync(new Dictionary<string, string>
        {
            // The sample's own settings (appsettings.json) stay: audience, tenant claim, prefix. Only where to find the
            // signing keys and the home are the test's.
            ["TenantRag__Auth__Authority"] = "",
            ["TenantRag__Auth__JwksUrl"] = _idp.JwksUrl,
            ["TenantRag__Auth__Issuer"] = JwksServer.Issuer,
            ["TenantRag__Auth__RequireHttpsMetadata"] = "false",
            ["TenantRag__Home"] = runner.Home,
            ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
        });
        var listening = await sample.WaitForLineAsync(l => l.Contains("Now listening on: ", StringComparison.Ordinal));
        using var http = new HttpClient { BaseAddress = new Uri(listening[(listening.IndexOf("http", StringComparison.Ordinal))..].Trim()) };

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz/ready", Ct)).StatusCode);

        var admin = _idp.Token("ops", "operator", scope: "tenantrag:admin", audience: Audience, tenantClaim: "org");
        foreach (var (slug, mode) in new[] { ("sample-shared", "shared"), ("sample-dedicated", "dedicated") })
        {
            var created = await SendAsync(http, HttpMethod.Post, "/admin/v1/tenants", admin, new { slug, mode });
            Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync(Ct));
        }

        var shared = _idp.Token("sample-shared", "alice", audience: Audience, tenantClaim: "org");
        var dedicated = _idp.Token("sample-dedicated", "bob", audience: Audience, tenantClaim: "org");
        foreach (var title in new[] { "Expenses", "Travel" })
        {
            var upload = await SendAsync(http, HttpMethod.Post, "/v1/documents", shared, new { title, text = $"The {title} policy of the shared tenant.", visibility = "tenant" });
            Assert.True(upload.StatusCode == HttpStatusCode.Created, await upload.Content.ReadAsStringAsync(Ct));
        }

        var bobs = await SendAsync(http, HttpMethod.Post, "/v1/documents", dedicated, new { title = "Holidays", text = "Holidays of the dedicated tenant.", visibility = "tenant" });
        Assert.True(bobs.StatusCode == HttpStatusCode.Created, await bobs.Content.ReadAsStringAsync(Ct));

        // The app's own endpoint counts with SQL that has no tenant filter: the session's tenant does the filtering.
        Assert.Equal(2, (await CountAsync(http, shared)).GetProperty("documents").GetInt64());
        Assert.Equal(1, (await CountAsync(http, dedicated)).GetProperty("documents").GetInt64());

        var search = await SendAsync(http, HttpMethod.Post, "/v1/search", shared, new { query = "travel policy", k = 5 });
        Assert.Equal(HttpStatusCode.OK, search.StatusCode);
        var hits = (await search.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("hits").EnumerateArray().ToArray();
        Assert.NotEmpty(hits);
        Assert.DoesNotContain(hits, h => h.GetProperty("documentTitle").GetString()!.Contains("Holidays", StringComparison.Ordinal));

        // Its own identity settings are the ones in force: a token for another audience is refused, and so is one that
        // names its tenant in the default claim (tenant_id) rather than the sample's (org).
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(http, HttpMethod.Get, "/v1/sample/document-count", _idp.Token("sample-shared", "alice", tenantClaim: "org"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(http, HttpMethod.Get, "/v1/sample/document-count", _idp.Token("sample-shared", "alice", audience: Audience))).StatusCode);

        var stopped = await sample.StopAsync();
        Assert.True(stopped.ExitCode == 0, stopped.ToString());
    }

    private static async Task<JsonElement> CountAsync(HttpClient http, string token)
    {
        var response = await SendAsync(http, HttpMethod.Get, "/v1/sample/document-count", token);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Ct));
        return await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpMethod method, string path, string token, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.TryAddWithoutValidation("Prefer", "wait=60");
        return await http.SendAsync(request, Ct);
    }
}
