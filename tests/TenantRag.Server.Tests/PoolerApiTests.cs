using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TenantRag.Testing;

namespace TenantRag.Server.Tests;

/// <summary>
/// The HTTP API serving shared tenants through a real PgBouncer in transaction mode (<c>Database:PoolerUrl</c>):
/// uploads, searches and the isolation between two shared tenants hold when every transaction may land on any
/// server connection, and the serving role's shared connections are the pooler's.
/// </summary>
[Trait("Category", "Isolation")]
public sealed class PoolerApiTests(PostgresServer postgres)
{
    private const string Prefix = "s_pooler";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task UploadAndSearch_TwoSharedTenantsThroughPooler_EachSeesOnlyItsOwn()
    {
        await using var pooler = await PgBouncerServer.StartAsync(postgres, Prefix, defaultPoolSize: 2);
        await using var server = await TestServer.StartAsync(postgres, Prefix, new Dictionary<string, string?>
        {
            ["Limits:RequestsPerSecond"] = "100000",
            ["Limits:Burst"] = "100000",
        }, tenancy: o => o.PoolerUrl = pooler.Address);
        var (acme, acmeToken) = await Uploads.TenantAsync(server, "pool-acme");
        var (initech, initechToken) = await Uploads.TenantAsync(server, "pool-initech");

        // Several uploads and searches at once: transactions of both tenants interleave on two server connections.
        var uploads = await Task.WhenAll(
            Uploads.PostTextAsync(server, acmeToken, "acme vacation", "Acme employees get 25 vacation days a year."),
            Uploads.PostTextAsync(server, initechToken, "initech vacation", "Initech staff get 12 vacation days and a stapler."),
            Uploads.PostTextAsync(server, acmeToken, "acme expenses", "At Acme, expenses over 500 euros need a team lead."),
            Uploads.PostTextAsync(server, initechToken, "initech expenses", "At Initech, expenses need the approval of Bill Lumbergh."));
        foreach (var upload in uploads)
        {
            Assert.True(upload.IsSuccessStatusCode, $"upload: {(int)upload.StatusCode} {await upload.Content.ReadAsStringAsync(Ct)}");
        }

        var searches = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            SearchTitlesAsync(server, i % 2 == 0 ? acmeToken : initechToken, i % 4 < 2 ? "vacation days" : "expenses approval")));

        for (var i = 0; i < searches.Length; i++)
        {
            var own = i % 2 == 0 ? "acme" : "initech";
            Assert.NotEmpty(searches[i]);
            Assert.All(searches[i], title => Assert.StartsWith(own, title, StringComparison.Ordinal));
        }

        Assert.Equal(["acme expenses", "acme vacation"], await Uploads.TitlesAsync(server, acmeToken));
        Assert.Equal(["initech expenses", "initech vacation"], await Uploads.TitlesAsync(server, initechToken));
        Assert.Equal(acme.Database, initech.Database);

        // PgBouncer's pool for the serving role holds at most two server connections to the shared database.
        var serverConnections = await postgres.ScalarAsync<long>("postgres",
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND usename = $2", acme.Database, server.Database.Installation.Names.AppRole);
        Assert.InRange(serverConnections, 1, 2);
    }

    private static async Task<string[]> SearchTitlesAsync(TestServer server, string token, string query)
    {
        var request = server.Request(HttpMethod.Post, "/v1/search", token);
        request.Content = JsonContent.Create(new { query, k = 10 });
        var response = await server.Client.SendAsync(request, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"search: {(int)response.StatusCode} {body}");
        return [.. JsonDocument.Parse(body).RootElement.GetProperty("hits").EnumerateArray().Select(h => h.GetProperty("documentTitle").GetString()!).Distinct()];
    }
}
