using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using TenantRag.Testing;

namespace TenantRag.Postgres.Tests;

/// <summary>
/// <c>tenantrag serve</c> over a fleet of two clusters the command line starts (<see cref="ServerCommandTests.Fleet"/>):
/// the HTTP upload jobs of a tenant placed on the second server run there, and a user's tenant made on its first
/// request (<c>Tenancy:AutoProvision</c>) is placed by free capacity like <c>tenant create</c>.
/// </summary>
public sealed class FleetServeTests(ServerCommandTests.Fleet fleet) : IClassFixture<ServerCommandTests.Fleet>
{
    private const string Catalog = "tenantrag_catalog";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("shared")]
    [InlineData("dedicated")]
    public async Task JobsApi_TenantOnSecondServer_UploadRunsThereAndIsSearchable(string mode)
    {
        await fleet.EnsureSecondAddedAsync();
        var slug = Slugs.UniqueText("jobs");
        await fleet.RunAsync(0, "tenant", "create", slug, "--mode", mode, "--server", "second");
        var show = (await fleet.RunAsync(0, "tenant", "show", slug, "--json")).Json();
        var (id, database) = (show.GetProperty("id").GetString()!, show.GetProperty("database").GetString()!);
        var token = await TokenAsync(slug, "alice");
        await using var serve = await fleet.Cli.StartAsync(new Dictionary<string, string>(), "serve", "--dev-auth", "--urls", "http://127.0.0.1:0");
        try
        {
            using var http = await ClientAsync(serve, token);
            using var form = new MultipartFormDataContent();
            var file = new ByteArrayContent("# Okapi stable\n\nThe okapi stable opens at dawn and feeds the okapis clover.\n"u8.ToArray());
            file.Headers.ContentType = new MediaTypeHeaderValue("text/markdown");
            form.Add(file, "file", "okapi.md");

            var accepted = await http.PostAsync("/v1/documents", form, Ct);
            Assert.True(accepted.StatusCode == HttpStatusCode.Accepted, $"{(int)accepted.StatusCode} {await accepted.Content.ReadAsStringAsync(Ct)}");
            var jobId = (await accepted.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("jobId").GetString()!;
            var job = await FinishedJobAsync(http, jobId);
            var search = await http.PostAsJsonAsync("/v1/search", new { query = "when does the okapi stable open", k = 3 }, Ct);
            var hits = (await search.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("hits").EnumerateArray().ToList();

            Assert.Equal("succeeded", job.GetProperty("status").GetString());
            var documentId = Assert.Single(job.GetProperty("documentIds").EnumerateArray()).GetString();
            Assert.Equal(HttpStatusCode.OK, search.StatusCode);
            Assert.Equal(documentId, hits[0].GetProperty("documentId").GetString());
            Assert.Equal("Okapi stable", hits[0].GetProperty("documentTitle").GetString());

            // The job and the document are in the tenant's database on the second server; the primary has no trace of either.
            var data = mode == "dedicated" ? database : "tenantrag_shared";
            Assert.Equal(1L, await fleet.ScalarAsync<long>(fleet.SecondUrl, "SELECT count(*) FROM public.ingest_jobs WHERE tenant_id = $1 AND status = 'succeeded'", data, id));
            Assert.Equal(1L, await fleet.ScalarAsync<long>(fleet.SecondUrl, "SELECT count(*) FROM public.documents WHERE tenant_id = $1", data, id));
            Assert.Equal(0L, await fleet.ScalarAsync<long>(fleet.MainUrl, "SELECT count(*) FROM public.ingest_jobs WHERE tenant_id = $1", "tenantrag_shared", id));
            Assert.Equal(0L, await fleet.ScalarAsync<long>(fleet.MainUrl, "SELECT count(*) FROM public.documents WHERE tenant_id = $1", "tenantrag_shared", id));
        }
        finally
        {
            await serve.StopAsync();
            await fleet.Cli.RunAsync("tenant", "delete", slug, "--yes");
        }
    }

    [Fact]
    public async Task AutoProvision_FirstRequest_PlacesTheUsersTenantByFreeCapacityAndAFullFleetIs503()
    {
        await fleet.EnsureSecondAddedAsync();
        var onPrimary = Slugs.UniqueText("full");
        await fleet.RunAsync(0, "tenant", "create", onPrimary, "--mode", "shared", "--server", "primary");
        var before = await SlugsAsync();
        var environment = new Dictionary<string, string>
        {
            ["TenantRag__Auth__TenantPerUser"] = "true",
            ["TenantRag__Tenancy__AutoProvision"] = "true",
            ["TenantRag__Tenancy__AutoProvisionMode"] = "Dedicated",
        };
        List<string> made = [];
        await using var serve = await fleet.Cli.StartAsync(environment, "serve", "--dev-auth", "--urls", "http://127.0.0.1:0");
        try
        {
            // The primary full (with no capacity it would always be chosen): a new user's tenant goes to the second.
            await SetCapacityToItsTenantsAsync("primary");
            using var carol = await ClientAsync(serve, await TokenAsync("ignored", "carol-" + Slugs.RandomLetters(6) + "@example.com"));
            var first = await carol.GetAsync("/v1/documents", Ct);
            made = [.. (await SlugsAsync()).Except(before)];

            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            var slug = Assert.Single(made);
            Assert.Equal("second", await fleet.ScalarAsync<string>(fleet.MainUrl, "SELECT server_id FROM tenantrag.tenants WHERE slug = $1", Catalog, slug));
            var database = await fleet.ScalarAsync<string>(fleet.MainUrl, "SELECT database_name FROM tenantrag.tenants WHERE slug = $1", Catalog, slug);
            Assert.Equal(1L, await fleet.ScalarAsync<long>(fleet.SecondUrl, "SELECT count(*) FROM pg_database WHERE datname = $1", "postgres", database));
            Assert.Equal(0L, await fleet.ScalarAsync<long>(fleet.MainUrl, "SELECT count(*) FROM pg_database WHERE datname = $1", "postgres", database));

            // Every server full: the next new user is told to come back (503, Retry-After), and no tenant is made.
            await SetCapacityToItsTenantsAsync("second");
            using var dave = await ClientAsync(serve, await TokenAsync("ignored", "dave-" + Slugs.RandomLetters(6) + "@example.com"));
            var refused = await dave.GetAsync("/v1/documents", Ct);
            var problem = await refused.Content.ReadFromJsonAsync<JsonElement>(Ct);

            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            Assert.Equal("No room for a new tenant", problem.GetProperty("title").GetString());
            Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero);
            Assert.Equal(made, (await SlugsAsync()).Except(before));

            // The tenant made before is served as ever.
            Assert.Equal(HttpStatusCode.OK, (await carol.GetAsync("/v1/documents", Ct)).StatusCode);
        }
        finally
        {
            await serve.StopAsync();
            foreach (var slug in made)
            {
                await fleet.Cli.RunAsync("tenant", "delete", slug, "--yes");
            }

            await fleet.RunAsync(0, "server", "set", "primary", "--capacity", "none");
            await fleet.RunAsync(0, "server", "set", "second", "--capacity", "25");
            await fleet.Cli.RunAsync("tenant", "delete", onPrimary, "--yes");
        }
    }

    // The server's capacity set to the tenants the catalog maps to it: full.
    private async Task SetCapacityToItsTenantsAsync(string server)
    {
        var tenants = await fleet.ScalarAsync<long>(fleet.MainUrl, "SELECT count(*) FROM tenantrag.tenants WHERE server_id = $1", Catalog, server);
        await fleet.RunAsync(0, "server", "set", server, "--capacity", tenants.ToString(CultureInfo.InvariantCulture));
    }

    private async Task<HashSet<string>> SlugsAsync() =>
        [.. (await fleet.RunAsync(0, "tenant", "list", "--json")).Json().GetProperty("tenants").EnumerateArray().Select(t => t.GetProperty("slug").GetString()!)];

    private async Task<string> TokenAsync(string tenant, string user) => (await fleet.RunAsync(0, "token", "--tenant", tenant, "--user", user)).StdOut.Trim();

    private static async Task<HttpClient> ClientAsync(CliProcess serve, string token)
    {
        var line = await serve.WaitForLineAsync(l => l.StartsWith("serving on ", StringComparison.Ordinal));
        var http = new HttpClient { BaseAddress = new Uri(line["serving on ".Length..].Split([',', ' '], StringSplitOptions.RemoveEmptyEntries)[0]) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    // Polls the job until it has finished; the test's own cancellation bounds the wait.
    private static async Task<JsonElement> FinishedJobAsync(HttpClient http, string jobId)
    {
        for (var polls = 0; ; polls++)
        {
            var job = await http.GetFromJsonAsync<JsonElement>($"/v1/jobs/{jobId}", Ct);
            if (job.GetProperty("status").GetString() is "succeeded" or "failed" || polls >= 1200)
            {
                return job;
            }

            await Task.Delay(100, Ct);
        }
    }
}
