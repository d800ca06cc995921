using System.Net.Http.Json;
using System.Text.Json;
using TenantRag.Testing;

namespace TenantRag.Postgres.Tests;

/// <summary>What the move tests do and check over a <see cref="ServerCommandTests.Fleet"/>, as the clusters' superusers.</summary>
internal sealed class FleetMoves(ServerCommandTests.Fleet fleet)
{
    private const string Catalog = "tenantrag_catalog";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public string Url(string server) => server == "primary" ? fleet.MainUrl : fleet.SecondUrl;

    public async Task<string> CreateAsync(string mode, string server)
    {
        var slug = Slugs.UniqueText("mv");
        var created = await fleet.Cli.RunAsync("tenant", "create", slug, "--mode", mode, "--server", server);
        Assert.True(created.ExitCode == 0, created.ToString());
        return slug;
    }

    public async Task DeleteAsync(string slug)
    {
        var deleted = await fleet.Cli.RunAsync("tenant", "delete", slug, "--yes");
        Assert.True(deleted.ExitCode == 0, deleted.ToString());
    }

    public static async Task<HttpClient> SignInAsync(CliProcess serve, string slug, string user)
    {
        var line = await serve.WaitForLineAsync(l => l.StartsWith("serving on ", StringComparison.Ordinal));
        var http = new HttpClient { BaseAddress = new Uri(line["serving on ".Length..].Split([',', ' '], StringSplitOptions.RemoveEmptyEntries)[0]) };
        var signIn = await http.PostAsJsonAsync("/auth/dev-token", new { tenant = slug, user }, Ct);
        signIn.EnsureSuccessStatusCode();
        var token = (await signIn.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("token").GetString();
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    public static HttpRequestMessage Upload(string title, string text, bool wait)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/documents") { Content = JsonContent.Create(new { title, text }) };
        if (wait)
        {
            request.Headers.Add("Prefer", "wait=60");
        }

        return request;
    }

    /// <summary>Waits until every job succeeded (any that fails fails the test).</summary>
    public static async Task WaitForJobsAsync(HttpClient http, IEnumerable<Guid> jobs)
    {
        var deadline = DateTime.UtcNow.AddMinutes(3);
        foreach (var job in jobs)
        {
            while (true)
            {
                var status = (await http.GetFromJsonAsync<JsonElement>($"/v1/jobs/{job}", Ct)).GetProperty("status").GetString();
                Assert.NotEqual("failed", status);
                if (status == "succeeded")
                {
                    break;
                }

                Assert.True(DateTime.UtcNow < deadline, $"job {job} is still {status}");
                await Task.Delay(100, Ct);
            }
        }
    }

    public async Task<Place> PlaceAsync(string slug)
    {
        var url = fleet.MainUrl;
        var server = await fleet.ScalarAsync<string>(url, "SELECT server_id FROM tenantrag.tenants WHERE slug = $1", Catalog, slug);
        var database = await fleet.ScalarAsync<string>(url, "SELECT database_name FROM tenantrag.tenants WHERE slug = $1", Catalog, slug);
        var mode = await fleet.ScalarAsync<string>(url, "SELECT mode FROM tenantrag.tenants WHERE slug = $1", Catalog, slug);
        var id = await fleet.ScalarAsync<string>(url, "SELECT id FROM tenantrag.tenants WHERE slug = $1", Catalog, slug);
        return new Place(server, database, mode, id);
    }

    /// <summary>The titles of the tenant's documents where it lives (one per document: a doubled write shows twice).</summary>
    public async Task<List<string>> TitlesAsync(Place place, string slug)
    {
        _ = slug;
        var text = await fleet.ScalarAsync<string>(Url(place.Server),
            "SELECT coalesce(string_agg(title, E'\\n' ORDER BY title), '') FROM public.documents WHERE tenant_id = $1", place.Database, place.Id);
        return text.Length == 0 ? [] : [.. text.Split('\n')];
    }

    /// <summary>
    /// The tenant's rows are in <paramref name="place"/> only: no other shared database of the fleet holds any row or
    /// registry entry of it, its dedicated database exists only there (if it is dedicated), and it is not fenced there.
    /// </summary>
    public async Task AssertServedFromOnlyAsync(string slug, Place place)
    {
        var dedicated = "tenantrag_t_" + slug.Replace('-', '_');
        foreach (var server in new[] { "primary", "second" })
        {
            var url = Url(server);
            foreach (var table in new[] { "public.documents", "public.chunks", "public.ingest_jobs", "public.index_snapshots" })
            {
                var rows = await fleet.ScalarAsync<long>(url, $"SELECT count(*) FROM {table} WHERE tenant_id = $1", "tenantrag_shared", place.Id);
                Assert.True((place.Server == server && place.Mode == "shared") || rows == 0, $"{rows} rows of {table} left in tenantrag_shared on {server}");
            }

            var entries = await fleet.ScalarAsync<long>(url, "SELECT count(*) FROM tenantrag.tenant_registry WHERE id = $1", "tenantrag_shared", place.Id);
            Assert.Equal(place.Server == server && place.Mode == "shared" ? 1L : 0L, entries);
            var databases = await fleet.ScalarAsync<long>(url, "SELECT count(*) FROM pg_database WHERE datname = $1", "postgres", dedicated);
            Assert.Equal(place.Server == server && place.Mode == "dedicated" ? 1L : 0L, databases);
        }

        Assert.Equal(0L, await fleet.ScalarAsync<long>(Url(place.Server), "SELECT count(*) FROM tenantrag.tenant_registry WHERE id = $1 AND fenced_at IS NOT NULL", place.Database, place.Id));
        Assert.Equal(0L, await fleet.ScalarAsync<long>(fleet.MainUrl, "SELECT count(*) FROM tenantrag.tenant_moves WHERE slug = $1 AND step NOT IN ('done', 'aborted')", Catalog, slug));
    }

    /// <summary>No slot, publication or subscription of a move (nor a table-copy slot) is left on either server.</summary>
    public async Task AssertNoReplicationObjectsAsync()
    {
        foreach (var url in new[] { fleet.MainUrl, fleet.SecondUrl })
        {
            Assert.Equal(string.Empty, await fleet.ScalarAsync<string>(url,
                "SELECT coalesce(string_agg(slot_name, ', '), '') FROM pg_replication_slots WHERE slot_name LIKE 'tenantrag\\_move\\_%' OR slot_name LIKE 'pg\\_%\\_sync\\_%'"));
            Assert.Equal(string.Empty, await fleet.ScalarAsync<string>(url, "SELECT coalesce(string_agg(subname, ', '), '') FROM pg_subscription"));
            var databases = (await fleet.ScalarAsync<string>(url, "SELECT string_agg(datname, ',') FROM pg_database WHERE datname LIKE 'tenantrag%' AND datname <> 'tenantrag_catalog'")).Split(',');
            foreach (var database in databases)
            {
                Assert.Equal(string.Empty, await fleet.ScalarAsync<string>(url, "SELECT coalesce(string_agg(pubname, ', '), '') FROM pg_publication", database));
                Assert.Equal(0L, await fleet.ScalarAsync<long>(url, "SELECT count(*) FROM tenantrag.move_markers", database));
            }
        }
    }

    /// <summary>
    /// The tenant's metered queries (<c>tenantrag usage --json</c>) are exactly <paramref name="queries"/>, all in
    /// <paramref name="place"/>, and the documents, chunks and bytes it stores there are what its metered changes add up to.
    /// </summary>
    public async Task AssertMeteredAsync(string slug, Place place, long queries)
    {
        var usage = await fleet.Cli.RunAsync("usage", slug, "--json");
        Assert.True(usage.ExitCode == 0, usage.ToString());
        var days = usage.Json().GetProperty("tenants")[0].GetProperty("days").EnumerateArray().ToList();
        var stored = await fleet.ScalarAsync<string>(Url(place.Server), """
            SELECT (SELECT count(*) FROM public.documents WHERE tenant_id = $1) || ' ' || (SELECT count(*) FROM public.chunks WHERE tenant_id = $1)
                || ' ' || (SELECT coalesce(sum(byte_size), 0) FROM public.documents WHERE tenant_id = $1)
            """, place.Database, place.Id);
        var metered = await fleet.ScalarAsync<long>(Url(place.Server),
            "SELECT coalesce((SELECT sum(queries) FROM public.usage_events WHERE tenant_id = $1), 0)::bigint + coalesce((SELECT sum(queries) FROM public.usage_daily WHERE tenant_id = $1), 0)::bigint",
            place.Database, place.Id);

        Assert.Equal(queries, days.Sum(d => d.GetProperty("queries").GetInt64()));
        Assert.Equal(queries, metered);
        Assert.Equal(stored, $"{days[^1].GetProperty("documents")} {days[^1].GetProperty("chunks")} {days[^1].GetProperty("bytes")}");
    }

    public sealed record Place(string Server, string Database, string Mode, string Id);
}
