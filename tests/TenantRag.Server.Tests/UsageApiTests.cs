using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using TenantRag.Server.Auth;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Server.Tests;

/// <summary>
/// Metering over HTTP (issue 15 item 2), with the real bundled model, in both models: each answered search and
/// question is counted once, committed before its answer is sent; <c>GET /v1/usage</c> shows the caller's tenant only,
/// by day; <c>GET /admin/v1/usage</c> needs the admin scope; bad <c>since</c> or tenant answers a problem.
/// </summary>
public sealed class UsageApiTests(PostgresServer postgres)
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static TestServer? _shared;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(TenancyMode.Shared)]
    [InlineData(TenancyMode.Dedicated)]
    public async Task SearchAskUploadDelete_AreCountedWhenAnsweredAndShownByDayToTheTenantOnly(TenancyMode mode)
    {
        var server = await ServerAsync();
        var issuer = DevelopmentTokenIssuer.LoadOrCreate(server.Home);
        var tenant = await server.Database.Catalog.CreateAsync(Slugs.Unique("use"), mode, Ct);
        var other = await server.Database.Catalog.CreateAsync(Slugs.Unique("usex"), mode, Ct);
        var alice = issuer.Issue(tenant.Slug, UserId.Parse("alice"), TimeSpan.FromMinutes(10), []);
        var eve = issuer.Issue(other.Slug, UserId.Parse("eve"), TimeSpan.FromMinutes(10), []);

        var kept = await PostAsync(server, alice, "/v1/documents", new { title = "Parking", text = "Visitors park on level 2 of the garage." });
        var gone = await PostAsync(server, alice, "/v1/documents", new { title = "Bikes", text = "Bikes are kept in the cellar." });
        var goneId = (await gone.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("documentIds")[0].GetGuid();
        Assert.Equal(HttpStatusCode.NoContent, (await server.Client.SendAsync(server.Request(HttpMethod.Delete, $"/v1/documents/{goneId}", alice), Ct)).StatusCode);
        var answers = new List<HttpStatusCode>();
        var metered = new List<long>();
        foreach (var (path, request) in new (string, object)[]
        {
            ("/v1/search", new { query = "where do visitors park", k = 3 }),
            ("/v1/search", new { query = "garage level", k = 3 }),
            ("/v1/ask", new { question = "Where do visitors park?", k = 3 }),
        })
        {
            answers.Add((await PostAsync(server, alice, path, request)).StatusCode);

            // Counted by the time the answer arrives, not later.
            metered.Add(await QueriesAsync(tenant));
        }

        var streamed = server.Request(HttpMethod.Post, "/v1/ask", alice);
        streamed.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        streamed.Content = JsonContent.Create(new { question = "Where do visitors park?", k = 3 });
        var stream = await (await server.Client.SendAsync(streamed, Ct)).Content.ReadAsStringAsync(Ct);
        var refused = await PostAsync(server, alice, "/v1/search", new { query = "", k = 3 });
        await PostAsync(server, eve, "/v1/search", new { query = "garage", k = 3 });

        var usage = await server.Client.SendAsync(server.Request(HttpMethod.Get, "/v1/usage", alice), Ct);
        var body = await usage.Content.ReadFromJsonAsync<JsonElement>(Ct);
        var day = Assert.Single(body.GetProperty("days").EnumerateArray());

        Assert.Equal(HttpStatusCode.Created, kept.StatusCode);
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a));
        Assert.Equal([1L, 2L, 3L], metered);
        Assert.Contains("event: answer", stream, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, usage.StatusCode);
        Assert.Equal((1L, 4L), (body.GetProperty("documents").GetInt64(), body.GetProperty("queries").GetInt64()));
        Assert.Equal(DateOnly.FromDateTime(DateTime.UtcNow).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), day.GetProperty("day").GetString());
        Assert.Equal((1L, 1L, 4L), (day.GetProperty("documents").GetInt64(), day.GetProperty("documentsChange").GetInt64(), day.GetProperty("queries").GetInt64()));
        Assert.True(day.GetProperty("embeddingTokens").GetInt64() > 0, day.ToString());
        Assert.Equal(0L, day.GetProperty("generatedTokens").GetInt64()); // extractive answers: nothing generated
        Assert.Equal(body.GetProperty("tokens").GetInt64(), body.GetProperty("embeddingTokens").GetInt64());
        Assert.Equal(4L, await QueriesAsync(tenant));
        Assert.Equal(1L, await QueriesAsync(other));
    }

    [Fact]
    public async Task Usage_BadSinceOrTenantOrNoAdminScope_AnswersAProblemAndAdminSeesEveryTenant()
    {
        var server = await ServerAsync();
        var issuer = DevelopmentTokenIssuer.LoadOrCreate(server.Home);
        var tenant = await server.Database.Catalog.CreateAsync(Slugs.Unique("usa"), TenancyMode.Shared, Ct);
        var alice = issuer.Issue(tenant.Slug, UserId.Parse("alice"), TimeSpan.FromMinutes(10), []);
        var admin = issuer.Issue(tenant.Slug, UserId.Parse("root"), TimeSpan.FromMinutes(10), [AuthenticationSetup.AdminScope]);
        await PostAsync(server, alice, "/v1/search", new { query = "anything at all", k = 3 });

        var cases = new (string Path, string Token, HttpStatusCode Status)[]
        {
            ("/v1/usage?since=2026-02-30", alice, HttpStatusCode.BadRequest),
            ("/v1/usage?since=yesterday", alice, HttpStatusCode.BadRequest),
            ("/v1/usage?since=2999-01-01", alice, HttpStatusCode.OK),
            ("/admin/v1/usage", alice, HttpStatusCode.Forbidden),
            ("/admin/v1/usage?since=1%2F1%2F2026", admin, HttpStatusCode.BadRequest),
            ("/admin/v1/usage?tenant=Bad%20Slug", admin, HttpStatusCode.BadRequest),
            ("/admin/v1/usage?tenant=no-such-tenant", admin, HttpStatusCode.NotFound),
        };
        var statuses = new List<HttpStatusCode>();
        var problems = new List<string>();
        foreach (var (path, token, _) in cases)
        {
            var response = await server.Client.SendAsync(server.Request(HttpMethod.Get, path, token), Ct);
            statuses.Add(response.StatusCode);
            problems.Add(response.Content.Headers.ContentType?.MediaType ?? string.Empty);
        }

        var later = await (await server.Client.SendAsync(server.Request(HttpMethod.Get, "/v1/usage?since=2999-01-01", alice), Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        var all = await (await server.Client.SendAsync(server.Request(HttpMethod.Get, "/admin/v1/usage", admin), Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        var one = await (await server.Client.SendAsync(server.Request(HttpMethod.Get, $"/admin/v1/usage?tenant={tenant.Slug}", admin), Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct);

        Assert.Equal(cases.Select(c => c.Status), statuses);
        Assert.All(problems.Where((_, i) => cases[i].Status != HttpStatusCode.OK && cases[i].Status != HttpStatusCode.Forbidden),
            media => Assert.Equal("application/problem+json", media));
        Assert.Equal(0, later.GetProperty("days").GetArrayLength());
        Assert.Equal(1L, later.GetProperty("queries").GetInt64());
        Assert.Contains(all.GetProperty("tenants").EnumerateArray(), t => t.GetProperty("tenant").GetString() == tenant.Slug.Value);
        var mine = Assert.Single(one.GetProperty("tenants").EnumerateArray());
        Assert.Equal(1L, Assert.Single(mine.GetProperty("days").EnumerateArray()).GetProperty("queries").GetInt64());
    }

    private async Task<long> QueriesAsync(TenantInfo tenant) =>
        await postgres.ScalarAsync<long>(tenant.Database, "SELECT coalesce(sum(queries), 0)::bigint FROM usage_events WHERE tenant_id = $1", tenant.Id);

    private async Task<TestServer> ServerAsync()
    {
        await Gate.WaitAsync(Ct);
        try
        {
            return _shared ??= await TestServer.StartAsync(postgres, "s_use");
        }
        finally
        {
            Gate.Release();
        }
    }

    private static async Task<HttpResponseMessage> PostAsync(TestServer server, string token, string path, object body)
    {
        var request = server.Request(HttpMethod.Post, path, token);
        request.Content = JsonContent.Create(body);
        return await server.Client.SendAsync(request, Ct);
    }
}
