using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TenantRag.Documents;
using TenantRag.Postgres.Documents;
using TenantRag.Server.Auth;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Server.Tests;

/// <summary>The tenant boundary over HTTP with the development issuer: 404 for foreign ids, 403 for unknown tenants and missing scopes.</summary>
[Trait("Category", "Isolation")]
public sealed class TenantApiTests(PostgresServer postgres)
{
    [Theory]
    [InlineData(TenancyMode.Shared)]
    [InlineData(TenancyMode.Dedicated)]
    public async Task GetDocument_OtherTenantsOrUsersPrivateId_Returns404LikeMissing(TenancyMode mode)
    {
        await using var server = await TestServer.StartAsync(postgres, "s_api");
        var ct = TestContext.Current.CancellationToken;
        var issuer = DevelopmentTokenIssuer.LoadOrCreate(server.Home);
        var mine = await server.Database.Catalog.CreateAsync(Slugs.Unique("mine"), mode, ct);
        var theirs = await server.Database.Catalog.CreateAsync(Slugs.Unique("theirs"), mode, ct);
        var foreignId = await AddAsync(server, theirs.Slug, "eve", "their doc", DocumentVisibility.Tenant);
        var colleaguePrivate = await AddAsync(server, mine.Slug, "bob", "bob only", DocumentVisibility.Private);
        var shared = await AddAsync(server, mine.Slug, "bob", "for everyone", DocumentVisibility.Tenant);
        var alice = issuer.Issue(mine.Slug, UserId.Parse("alice"), TimeSpan.FromMinutes(5), []);

        var foreign = await server.GetAsync($"/v1/documents/{foreignId}", alice);
        var privateOne = await server.GetAsync($"/v1/documents/{colleaguePrivate}", alice);
        var missing = await server.GetAsync($"/v1/documents/{Guid.NewGuid()}", alice);
        var visible = await server.GetAsync($"/v1/documents/{shared}", alice);
        var deleteForeign = await server.Client.SendAsync(server.Request(HttpMethod.Delete, $"/v1/documents/{foreignId}", alice), ct);
        var list = (await (await server.GetAsync("/v1/documents", alice)).Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("documents").EnumerateArray();

        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, privateOne.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(HttpStatusCode.OK, visible.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, deleteForeign.StatusCode);
        Assert.Equal(["for everyone"], list.Select(d => d.GetProperty("title").GetString()));
        Assert.Equal(1L, await postgres.ScalarAsync<long>(theirs.Database, "SELECT count(*) FROM documents WHERE id = $1", foreignId));
    }

    [Fact]
    public async Task Get_UnknownOrDeletedTenant_Returns403()
    {
        await using var server = await TestServer.StartAsync(postgres, "s_api");
        var ct = TestContext.Current.CancellationToken;
        var issuer = DevelopmentTokenIssuer.LoadOrCreate(server.Home);
        var tenant = await server.Database.Catalog.CreateAsync(Slugs.Unique("gone"), TenancyMode.Shared, ct);
        var token = issuer.Issue(tenant.Slug, UserId.Parse("alice"), TimeSpan.FromMinutes(5), []);
        var before = await server.GetAsync("/v1/documents", token);
        await server.Database.Catalog.DeleteAsync(tenant.Slug, ct);

        var after = await server.GetAsync("/v1/documents", token);
        var unknown = await server.GetAsync("/v1/documents", issuer.Issue(Slugs.Unique("never"), UserId.Parse("alice"), TimeSpan.FromMinutes(5), []));

        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, after.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task AdminRoutes_WithoutAdminScope_Return403_WithScope_Work()
    {
        await using var server = await TestServer.StartAsync(postgres, "s_api");
        var ct = TestContext.Current.CancellationToken;
        var issuer = DevelopmentTokenIssuer.LoadOrCreate(server.Home);
        var tenant = await server.Database.Catalog.CreateAsync(Slugs.Unique("adm"), TenancyMode.Shared, ct);
        var plain = issuer.Issue(tenant.Slug, UserId.Parse("alice"), TimeSpan.FromMinutes(5), []);
        var admin = issuer.Issue(tenant.Slug, UserId.Parse("root"), TimeSpan.FromMinutes(5), [AuthenticationSetup.AdminScope]);
        var slug = Slugs.UniqueText("made");

        var denied = await server.GetAsync("/admin/v1/tenants", plain);
        var deniedCreate = await server.Client.SendAsync(Json(server.Request(HttpMethod.Post, "/admin/v1/tenants", plain), new { slug, mode = "shared" }), ct);
        var created = await server.Client.SendAsync(Json(server.Request(HttpMethod.Post, "/admin/v1/tenants", admin), new { slug, mode = "dedicated" }), ct);
        var duplicate = await server.Client.SendAsync(Json(server.Request(HttpMethod.Post, "/admin/v1/tenants", admin), new { slug, mode = "dedicated" }), ct);
        var listed = await server.GetAsync("/admin/v1/tenants", admin);
        var deleted = await server.Client.SendAsync(server.Request(HttpMethod.Delete, $"/admin/v1/tenants/{slug}", admin), ct);

        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, deniedCreate.StatusCode);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);
        Assert.Contains(slug, await listed.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        Assert.False(await postgres.DatabaseExistsAsync(server.Database.Installation.Names.DedicatedDatabase(TenantSlug.Parse(slug))));
    }

    [Fact]
    public async Task Get_OverRateLimit_Returns429WithRetryAfter_OtherTenantUnaffected()
    {
        await using var server = await TestServer.StartAsync(postgres, "s_api", new Dictionary<string, string?>
        {
            ["Limits:RequestsPerSecond"] = "1",
            ["Limits:Burst"] = "3",
        });
        var ct = TestContext.Current.CancellationToken;
        var issuer = DevelopmentTokenIssuer.LoadOrCreate(server.Home);
        var noisy = await server.Database.Catalog.CreateAsync(Slugs.Unique("noisy"), TenancyMode.Shared, ct);
        var quiet = await server.Database.Catalog.CreateAsync(Slugs.Unique("quiet"), TenancyMode.Shared, ct);
        var noisyToken = issuer.Issue(noisy.Slug, UserId.Parse("a"), TimeSpan.FromMinutes(5), []);
        var quietToken = issuer.Issue(quiet.Slug, UserId.Parse("b"), TimeSpan.FromMinutes(5), []);

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 10; i++)
        {
            var response = await server.GetAsync("/v1/documents", noisyToken);
            statuses.Add(response.StatusCode);
            limited ??= response.StatusCode == HttpStatusCode.TooManyRequests ? response : null;
        }

        var quietResponse = await server.GetAsync("/v1/documents", quietToken);

        Assert.Contains(HttpStatusCode.OK, statuses);
        Assert.NotNull(limited);
        Assert.True(limited!.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.OK, quietResponse.StatusCode);
    }

    [Fact]
    public async Task Get_TenantPerUserWithAutoProvision_CreatesTenantOnFirstRequest()
    {
        await using var server = await TestServer.StartAsync(postgres, "s_api_pu", new Dictionary<string, string?>
        {
            ["Auth:TenantPerUser"] = "true",
            ["Tenancy:AutoProvision"] = "true",
            ["Tenancy:AutoProvisionMode"] = "Dedicated",
        });
        var ct = TestContext.Current.CancellationToken;
        var issuer = DevelopmentTokenIssuer.LoadOrCreate(server.Home);
        var user = UserId.Parse("user-" + Slugs.RandomLetters(8) + "@example.com");
        var slug = TenantSlug.Parse(Tenancy.TenantResolutionMiddleware.PerUserSlug(user));

        // The tenant claim is ignored in this model: the user is the tenant.
        var first = await server.GetAsync("/v1/documents", issuer.Issue(Slugs.Unique("ignored"), user, TimeSpan.FromMinutes(5), []));
        var second = await server.GetAsync("/v1/documents", issuer.Issue(Slugs.Unique("ignored"), user, TimeSpan.FromMinutes(5), []));
        var tenant = await server.Database.Catalog.FindAsync(slug, ct);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.NotNull(tenant);
        Assert.Equal(TenancyMode.Dedicated, tenant!.Mode);
        Assert.True(await postgres.DatabaseExistsAsync(tenant.Database));
    }

    // The attack: with TenantPerUser and auto-provisioning, every new subject made the server create a tenant (a
    // database, with the dedicated model), without end.
    [Theory]
    [InlineData("Tenancy:AutoProvisionMaxTenants", HttpStatusCode.Forbidden, "Tenant limit reached")]
    [InlineData("Tenancy:AutoProvisionPerMinute", HttpStatusCode.TooManyRequests, "Too many new tenants")]
    public async Task Get_TenantPerUserAutoProvisionPastACap_IsRefusedAndCreatesNothing(string cap, HttpStatusCode status, string title)
    {
        await using var server = await TestServer.StartAsync(postgres, "s_api_cap" + (status == HttpStatusCode.Forbidden ? "t" : "r"), new Dictionary<string, string?>
        {
            ["Auth:TenantPerUser"] = "true",
            ["Tenancy:AutoProvision"] = "true",
            [cap] = "2",
        });
        var ct = TestContext.Current.CancellationToken;
        var issuer = DevelopmentTokenIssuer.LoadOrCreate(server.Home);
        var existing = (await server.Database.Catalog.ListAsync(ct)).Count;
        Assert.Equal(0, existing);
        string TokenFor(string user) => issuer.Issue(Slugs.Unique("ignored"), UserId.Parse(user), TimeSpan.FromMinutes(5), []);

        var first = await server.GetAsync("/v1/documents", TokenFor("first@example.com"));
        var second = await server.GetAsync("/v1/documents", TokenFor("second@example.com"));
        var third = await server.GetAsync("/v1/documents", TokenFor("third@example.com"));
        var firstAgain = await server.GetAsync("/v1/documents", TokenFor("first@example.com"));

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK, status, HttpStatusCode.OK), (first.StatusCode, second.StatusCode, third.StatusCode, firstAgain.StatusCode));
        Assert.Equal("application/problem+json", third.Content.Headers.ContentType?.MediaType);
        var problem = await third.Content.ReadFromJsonAsync<JsonElement>(ct);
        Assert.Equal(title, problem.GetProperty("title").GetString());
        Assert.Contains(cap, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(status == HttpStatusCode.TooManyRequests, third.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Equal(2, (await server.Database.Catalog.ListAsync(ct)).Count);
        Assert.Null(await server.Database.Catalog.FindAsync(TenantSlug.Parse(Tenancy.TenantResolutionMiddleware.PerUserSlug(UserId.Parse("third@example.com"))), ct));
    }

    [Fact]
    public async Task PublicEndpoints_HealthOpenApiPageAndJwks_Answer()
    {
        await using var server = await TestServer.StartAsync(postgres, "s_api");
        var ct = TestContext.Current.CancellationToken;

        var health = await server.GetAsync("/healthz", null);
        var openapi = await server.GetAsync("/openapi/v1.json", null);
        var page = await server.GetAsync("/", null);
        var jwks = await server.GetAsync("/.well-known/jwks.json", null);
        var traversal = await server.GetAsync("/assets/..%2F..%2Fsecrets.json", null);

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Contains("/v1/documents", await openapi.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        Assert.Contains("TenantRag", await page.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        Assert.Contains("\"kty\":\"RSA\"", await jwks.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, traversal.StatusCode);
    }

    private static HttpRequestMessage Json(HttpRequestMessage request, object body)
    {
        request.Content = JsonContent.Create(body);
        return request;
    }

    private static async Task<Guid> AddAsync(TestServer server, TenantSlug tenant, string user, string title, DocumentVisibility visibility)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var session = await server.Database.Sessions.OpenSessionAsync(TenantContext.For(tenant, UserId.Parse(user)), ct);
        var id = await DocumentStore.AddTextAsync(session, title, title + " body", visibility, ct);
        await session.CommitAsync(ct);
        return id;
    }
}
