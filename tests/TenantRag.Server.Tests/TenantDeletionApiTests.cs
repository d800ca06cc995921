using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TenantRag.Postgres.Audit;
using TenantRag.Server.Auth;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Server.Tests;

/// <summary>
/// A tenant deleted by another process (<c>tenantrag tenant delete</c>) while the server serves it: nothing
/// acknowledged is left behind for the next owner of the slug, and requests that arrive late get 404, not 500.
/// </summary>
[Trait("Category", "Isolation")]
public sealed class TenantDeletionApiTests(PostgresServer postgres)
{
    private const string Prefix = "t_delapi";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task UploadsAndSearches_WhileAnotherProcessDeletesTheTenant_LeaveNothingForTheNextOwnerOfTheSlug()
    {
        await using var server = await TestServer.StartAsync(postgres, Prefix);
        await using var operatorView = await postgres.OpenInstallationAsync(Prefix);
        var issuer = DevelopmentTokenIssuer.LoadOrCreate(server.Home);
        var old = await operatorView.Catalog.CreateAsync(Slugs.Unique("churn"), TenancyMode.Shared, Ct);
        var alice = issuer.Issue(old.Slug, UserId.Parse("alice"), TimeSpan.FromMinutes(10), []);
        var acknowledged = new ConcurrentBag<Guid>();
        var statuses = new ConcurrentBag<HttpStatusCode>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        async Task UploadLoopAsync(int worker)
        {
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                var request = server.Request(HttpMethod.Post, "/v1/documents", alice);
                request.Content = JsonContent.Create(new { title = $"worker {worker} document {n}", text = $"Quarterly figures number {n} of worker {worker}." });
                using var response = await server.Client.SendAsync(request, Ct);
                statuses.Add(response.StatusCode);
                if (response.StatusCode == HttpStatusCode.Created)
                {
                    var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
                    acknowledged.Add(body.GetProperty("documentIds")[0].GetGuid());
                }
            }
        }

        async Task SearchLoopAsync()
        {
            while (!stop.IsCancellationRequested)
            {
                var request = server.Request(HttpMethod.Post, "/v1/search", alice);
                request.Content = JsonContent.Create(new { query = "quarterly figures", k = 3 });
                using var response = await server.Client.SendAsync(request, Ct);
                statuses.Add(response.StatusCode);
            }
        }

        var load = Task.WhenAll(Enumerable.Range(0, 3).Select(UploadLoopAsync).Append(SearchLoopAsync()));
        await WaitUntilAsync(() => acknowledged.Count >= 6);
        var deletion = await operatorView.Catalog.DeleteAsync(old.Slug, Ct);
        await Task.Delay(TimeSpan.FromSeconds(3), Ct); // past the server's catalog cache: later requests are refused at the edge
        await stop.CancelAsync();
        await load;

        var reborn = await operatorView.Catalog.CreateAsync(old.Slug, TenancyMode.Shared, Ct);
        var mallory = issuer.Issue(reborn.Slug, UserId.Parse("mallory"), TimeSpan.FromMinutes(10), []);
        // The server learns of the new tenant once its cached "no such tenant" expires (Tenancy:CatalogCacheTtl, 2 s).
        HttpResponseMessage list;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((list = await server.GetAsync("/v1/documents", mallory)).StatusCode == HttpStatusCode.Forbidden && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200, Ct);
        }

        var listed = await list.Content.ReadFromJsonAsync<JsonElement>(Ct);
        var usage = await (await server.GetAsync("/v1/usage", mallory)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        var shared = operatorView.Installation.Names.Shared;
        var leftovers = await postgres.ScalarAsync<long>(shared, """
            SELECT (SELECT count(*) FROM documents WHERE tenant_id IN ($1, $2)) + (SELECT count(*) FROM chunks WHERE tenant_id IN ($1, $2))
                 + (SELECT count(*) FROM usage_events WHERE tenant_id IN ($1, $2)) + (SELECT count(*) FROM usage_daily WHERE tenant_id IN ($1, $2)) + (SELECT count(*) FROM tenant_data_versions WHERE tenant_id IN ($1, $2))
                 + (SELECT count(*) FROM tenantrag.tenant_registry WHERE id = $1)
            """, old.Id, old.Slug.Value);
        var findings = await new IsolationAuditor(operatorView).AuditAsync(Ct);

        Assert.True(deletion.Documents > 0, "the delete ran while documents were being written");
        Assert.Equal(0L, leftovers);
        Assert.Equal(0, listed.GetProperty("documents").GetArrayLength());
        Assert.Equal((0L, 0L), (usage.GetProperty("documents").GetInt64(), usage.GetProperty("queries").GetInt64()));
        Assert.Empty(findings);
        Assert.DoesNotContain(statuses, s => (int)s >= 500);
        Assert.Contains(statuses, s => s is HttpStatusCode.NotFound or HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Requests_ForADedicatedTenantDeletedByAnotherProcess_Answer404()
    {
        // The server keeps its catalog entry (it does not hear the catalog's notification, as when its listener is
        // disconnected): only the database says the tenant is gone (its role and database are).
        await using var server = await TestServer.StartAsync(postgres, Prefix, tenancy: o => o.CatalogCacheTtl = TimeSpan.FromHours(1), listen: false);
        await using var operatorView = await postgres.OpenInstallationAsync(Prefix);
        var issuer = DevelopmentTokenIssuer.LoadOrCreate(server.Home);
        var tenant = await operatorView.Catalog.CreateAsync(Slugs.Unique("dropped"), TenancyMode.Dedicated, Ct);
        var alice = issuer.Issue(tenant.Slug, UserId.Parse("alice"), TimeSpan.FromMinutes(10), []);
        var before = await server.GetAsync("/v1/documents", alice); // warms the pool; records no usage (whose flush would notice first)

        await operatorView.Catalog.DeleteAsync(tenant.Slug, Ct);
        var search = await SearchAsync(server, alice);
        var after = await server.GetAsync("/v1/documents", alice);

        // The first request finds out in the middle (404); later ones are refused at the edge like any unknown tenant (403).
        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.Forbidden), (search.StatusCode, after.StatusCode));
        foreach (var response in new[] { search, after })
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal("Unknown tenant", (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("title").GetString());
        }
    }

    [Theory]
    [InlineData(TenancyMode.Shared)]
    [InlineData(TenancyMode.Dedicated)]
    public async Task Requests_ForATenantDeletedByAnotherProcess_RefusedAtTheEdgeOnceNotified(TenancyMode mode)
    {
        // The server trusts its catalog entry for an hour, but hears the catalog's notification of the delete.
        await using var server = await TestServer.StartAsync(postgres, Prefix, tenancy: o => o.CatalogCacheTtl = TimeSpan.FromHours(1));
        await using var operatorView = await postgres.OpenInstallationAsync(Prefix);
        var issuer = DevelopmentTokenIssuer.LoadOrCreate(server.Home);
        var tenant = await operatorView.Catalog.CreateAsync(Slugs.Unique("heard"), mode, Ct);
        var alice = issuer.Issue(tenant.Slug, UserId.Parse("alice"), TimeSpan.FromMinutes(10), []);
        var before = await server.GetAsync("/v1/documents", alice);

        await operatorView.Catalog.DeleteAsync(tenant.Slug, Ct);

        // Listing only reads: nothing in the database would tell a shared tenant's server; only the notification does.
        HttpResponseMessage after;
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while ((after = await server.GetAsync("/v1/documents", alice)).StatusCode == HttpStatusCode.OK && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, Ct);
        }

        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, after.StatusCode);
        Assert.Equal("Unknown tenant", (await after.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("title").GetString());
    }

    private static Task<HttpResponseMessage> SearchAsync(TestServer server, string token)
    {
        var request = server.Request(HttpMethod.Post, "/v1/search", token);
        request.Content = JsonContent.Create(new { query = "anything at all", k = 3 });
        return server.Client.SendAsync(request, Ct);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not come true within 60 s");
            await Task.Delay(20, Ct);
        }
    }
}
