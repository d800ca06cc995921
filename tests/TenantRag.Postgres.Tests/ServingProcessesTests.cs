using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using TenantRag.Postgres.Cluster;
using TenantRag.Postgres.Installation;
using TenantRag.Testing;

namespace TenantRag.Postgres.Tests;

/// <summary>
/// Two real <c>tenantrag serve</c> processes over one fleet of two real clusters (<see cref="ServerCommandTests.Fleet"/>),
/// as issue 14 item 5 asks: what one process writes, the other finds; and a change of a tenant's catalog row (a
/// delete, a switch to another server as a move makes it) is seen by both at once, through the catalog's
/// notifications, not after their cache's lifetime: each process trusts a looked-up tenant for ten minutes here, so
/// only a notification can explain an answer that follows the change within seconds. Also after the catalog's server
/// was stopped without warning and started again.
/// </summary>
public sealed class ServingProcessesTests(ServerCommandTests.Fleet fleet) : IClassFixture<ServerCommandTests.Fleet>
{
    private const string Catalog = "tenantrag_catalog";
    private const string Shared = "tenantrag_shared";

    // Far beyond any wait below: an answer that changes within Prompt was not caused by the cache expiring.
    private static readonly Dictionary<string, string> ServeEnvironment = new()
    {
        ["TenantRag__Database__CatalogCacheTtl"] = "00:10:00",
        ["TenantRag__Jobs__PollMilliseconds"] = "200",
    };

    // How long a change may take to reach both processes: a notification arrives in milliseconds; the bound is generous
    // for a loaded machine, and still a small fraction of the cache's ten minutes.
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(20);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("shared")]
    [InlineData("dedicated")]
    public async Task Upload_ThroughOneProcess_FoundByTheNextSearchThroughTheOther(string mode)
    {
        var slug = await new FleetMoves(fleet).CreateAsync(mode, "primary");
        await using var both = await StartTwoAsync(slug);
        var (one, other) = both;

        // The other process has the tenant (and its empty index) cached before the write.
        Assert.Empty(await other.SearchTitlesAsync("walrus ledger"));
        await one.UploadAsync("Walrus ledger", "The walrus ledger lists every tusk of the colony.");

        Assert.Equal(["Walrus ledger"], await other.SearchTitlesAsync("walrus ledger"));
        Assert.Equal(["Walrus ledger"], await one.SearchTitlesAsync("walrus ledger"));
        await new FleetMoves(fleet).DeleteAsync(slug);
    }

    [Fact]
    public async Task TenantDeleted_ThroughTheCommandLine_RefusedByBothProcessesAtOnce()
    {
        // A shared tenant, only read (listed): nothing either process does would fail by itself after the delete (a
        // dedicated tenant's dropped database fails its next session; a write, a search's usage count among them, is
        // refused by the shared database's registry and makes the process look again), so only the catalog's
        // notification can tell them.
        var slug = await new FleetMoves(fleet).CreateAsync("shared", "primary");
        await using var both = await StartTwoAsync(slug);
        var (one, other) = both;
        await one.UploadAsync("Okapi ledger", "The okapi ledger lists every stripe.");
        Assert.Equal(["Okapi ledger"], await one.ListTitlesAsync());
        Assert.Equal(["Okapi ledger"], await other.ListTitlesAsync());

        await new FleetMoves(fleet).DeleteAsync(slug);

        await one.WaitForListAsync(HttpStatusCode.Forbidden);
        await other.WaitForListAsync(HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.Forbidden, (await other.UploadStatusAsync("Late", "A write after the delete.")).StatusCode);
        await AssertNoPasswordAsync(one, other);
    }

    [Fact]
    public async Task CatalogRowSwitchedToAnotherServer_BothProcessesServeFromThereAtOnce()
    {
        await fleet.EnsureSecondAddedAsync();
        var slug = await new FleetMoves(fleet).CreateAsync("shared", "primary");
        var id = await fleet.ScalarAsync<string>(fleet.MainUrl, "SELECT id FROM tenantrag.tenants WHERE slug = $1", Catalog, slug);
        await using var both = await StartTwoAsync(slug);
        var (one, other) = both;
        await one.UploadAsync("Walrus ledger", "The walrus ledger lists every tusk of the colony.");
        Assert.Equal(["Walrus ledger"], await other.SearchTitlesAsync("walrus ledger"));

        // What a move does, by hand: the rows copied to the second server (same tenant id, same document ids; the copy's
        // title marked, so an answer tells which server gave it), and the catalog row switched in a transaction that
        // notifies. The source rows stay until the end, as in a move: a process still routing there would write there.
        await CopyTenantRowsAsync(id, slug, fleet.MainPort, fleet.SecondPort);
        await fleet.ExecuteAsync(AdminUrl(fleet.SecondPort), Shared, "UPDATE public.documents SET title = title || ' (moved)'");
        await SwitchServerAsync(id, slug, "second");

        await one.WaitForListAsync(HttpStatusCode.OK, "Walrus ledger (moved)");
        await other.WaitForListAsync(HttpStatusCode.OK, "Walrus ledger (moved)");

        // Writes go there too, through either process, and each is found through the other; none reaches the source.
        await other.UploadAsync("Okapi ledger", "The okapi ledger lists every stripe.");
        await one.UploadAsync("Tapir ledger", "The tapir ledger lists every snout.");
        Assert.Contains("Okapi ledger", await one.SearchTitlesAsync("okapi ledger"));
        Assert.Contains("Tapir ledger", await other.SearchTitlesAsync("tapir ledger"));
        Assert.Equal(3L, await DocumentsAsync(fleet.SecondPort, id));
        Assert.Equal(1L, await DocumentsAsync(fleet.MainPort, id));

        // The move's end: the source rows go; the tenant is deleted where it lives now.
        await DeleteTenantRowsAsync(fleet.MainPort, id);
        await new FleetMoves(fleet).DeleteAsync(slug);
        Assert.Equal(0L, await DocumentsAsync(fleet.SecondPort, id));
        await AssertNoPasswordAsync(one, other);
    }

    [Fact]
    public async Task CatalogServerRestarted_ListenersReconnectAndStillInvalidate()
    {
        var slug = await new FleetMoves(fleet).CreateAsync("shared", "primary");
        await using var both = await StartTwoAsync(slug);
        var (one, other) = both;
        await one.UploadAsync("Walrus ledger", "The walrus ledger lists every tusk of the colony.");

        // The catalog's server dies without a word to its clients, and comes back on the same port.
        var main = new TenantRagHome(fleet.Boot.Home).Cluster("main");
        var cluster = await EmbeddedCluster.OpenAsync(main, Secrets.LoadOrCreate(main), cancellationToken: Ct);
        await cluster.StopAsync(immediate: true, Ct);
        try
        {
            await one.Process.WaitForLineAsync(l => l.Contains("catalog listener lost its connection", StringComparison.OrdinalIgnoreCase));
            await other.Process.WaitForLineAsync(l => l.Contains("catalog listener lost its connection", StringComparison.OrdinalIgnoreCase));
        }
        finally
        {
            // Started again whatever happened: the class's other tests need it.
            var restarted = await fleet.Boot.RunAsync("db", "start", "--name", "main");
            Assert.True(restarted.ExitCode == 0, restarted.ToString());
        }

        await one.Process.WaitForLineAsync(l => l.Contains("catalog listener is listening again", StringComparison.OrdinalIgnoreCase));
        await other.Process.WaitForLineAsync(l => l.Contains("catalog listener is listening again", StringComparison.OrdinalIgnoreCase));

        // Both look the tenant up again (and trust it for ten minutes), then it is deleted: both refuse it at once. (The
        // first requests after the restart may find dead connections in the pools: 503, try again.)
        await one.WaitForListAsync(HttpStatusCode.OK, "Walrus ledger");
        await other.WaitForListAsync(HttpStatusCode.OK, "Walrus ledger");
        await new FleetMoves(fleet).DeleteAsync(slug);

        await one.WaitForListAsync(HttpStatusCode.Forbidden);
        await other.WaitForListAsync(HttpStatusCode.Forbidden);
        await AssertNoPasswordAsync(one, other);
    }

    // Two serve processes over the fleet's primary, started one after the other (they share the home, so the
    // development issuer's key is made once), each with a token of the tenant's user alice.
    private async Task<TwoProcesses> StartTwoAsync(string slug)
    {
        var one = await ServeProcess.StartAsync(fleet.Cli, slug);
        try
        {
            return new TwoProcesses(one, await ServeProcess.StartAsync(fleet.Cli, slug));
        }
        catch
        {
            await one.DisposeAsync();
            throw;
        }
    }

    private async Task AssertNoPasswordAsync(params ServeProcess[] processes)
    {
        foreach (var process in processes)
        {
            fleet.AssertNoPassword(await process.Process.StopAsync());
        }
    }

    private string AdminUrl(int port) => fleet.UrlAs(port, "tenantrag_admin", fleet.Secret("adminPassword"));

    private Task<long> DocumentsAsync(int port, string tenantId) =>
        fleet.ScalarAsync<long>(AdminUrl(port), "SELECT count(*) FROM public.documents WHERE tenant_id = $1", Shared, tenantId);

    // The tenant's documents and chunks, as the admin role, from the shared database on one server to the one on another,
    // with the tenant registered there first (its rows' foreign keys need it).
    private async Task CopyTenantRowsAsync(string tenantId, string slug, int fromPort, int toPort)
    {
        var documents = await fleet.ScalarAsync<string>(AdminUrl(fromPort),
            "SELECT coalesce(json_agg(d), '[]')::text FROM public.documents d WHERE tenant_id = $1", Shared, tenantId);
        var chunks = await fleet.ScalarAsync<string>(AdminUrl(fromPort),
            "SELECT coalesce(json_agg(c), '[]')::text FROM public.chunks c WHERE tenant_id = $1", Shared, tenantId);

        await using var target = await OpenAsync(AdminUrl(toPort), Shared);
        await using var tx = await target.BeginTransactionAsync(Ct);
        var columns = (string)(await Command(target, tx, """
            SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
            WHERE attrelid = 'public.chunks'::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = ''
            """).ExecuteScalarAsync(Ct))!;
        await Command(target, tx, "INSERT INTO tenantrag.tenant_registry (id, slug) VALUES ($1, $2)", tenantId, slug).ExecuteNonQueryAsync(Ct);
        await Command(target, tx, "INSERT INTO public.documents SELECT * FROM json_populate_recordset(NULL::public.documents, $1::json)", documents)
            .ExecuteNonQueryAsync(Ct);
        await Command(target, tx, $"""
            INSERT INTO public.chunks ({columns}) OVERRIDING SYSTEM VALUE
            SELECT {columns} FROM json_populate_recordset(NULL::public.chunks, $1::json)
            """, chunks).ExecuteNonQueryAsync(Ct);
        await Command(target, tx, "SELECT setval(pg_get_serial_sequence('public.chunks', 'id'), greatest((SELECT max(id) FROM public.chunks), 1))")
            .ExecuteNonQueryAsync(Ct);
        await tx.CommitAsync(Ct);
    }

    // The switch of a move: the catalog row names the other server, and every serving process is told in the same
    // transaction (delivered only when it commits).
    private async Task SwitchServerAsync(string tenantId, string slug, string server)
    {
        await using var catalog = await OpenAsync(AdminUrl(fleet.MainPort), Catalog);
        await using var tx = await catalog.BeginTransactionAsync(Ct);
        Assert.Equal(1, await Command(catalog, tx, "UPDATE tenantrag.tenants SET server_id = $1 WHERE id = $2", server, tenantId).ExecuteNonQueryAsync(Ct));
        await Command(catalog, tx, "SELECT pg_notify('tenantrag_catalog', $1)", slug).ExecuteNonQueryAsync(Ct);
        await tx.CommitAsync(Ct);
    }

    private async Task DeleteTenantRowsAsync(int port, string tenantId)
    {
        await using var source = await OpenAsync(AdminUrl(port), Shared);
        await using var tx = await source.BeginTransactionAsync(Ct);
        foreach (var sql in new[]
        {
            "DELETE FROM public.chunks WHERE tenant_id = $1", "DELETE FROM public.documents WHERE tenant_id = $1",
            "DELETE FROM public.tenant_data_versions WHERE tenant_id = $1", "DELETE FROM public.usage_events WHERE tenant_id = $1", "DELETE FROM public.usage_daily WHERE tenant_id = $1",
            "DELETE FROM public.ingest_job_parts WHERE tenant_id = $1", "DELETE FROM public.ingest_jobs WHERE tenant_id = $1",
            "DELETE FROM tenantrag.tenant_registry WHERE id = $1",
        })
        {
            await Command(source, tx, sql, tenantId).ExecuteNonQueryAsync(Ct);
        }

        await tx.CommitAsync(Ct);
    }

    private static async Task<NpgsqlConnection> OpenAsync(string url, string database)
    {
        var endpoint = ServerEndpoint.Parse(url);
        var builder = endpoint.ConnectionString(endpoint.BootstrapUsername, endpoint.BootstrapPassword, database);
        builder.Pooling = false;
        var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(Ct);
        return connection;
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, params object[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection, tx);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        return command;
    }

    private sealed record TwoProcesses(ServeProcess One, ServeProcess Other) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await One.DisposeAsync();
            await Other.DisposeAsync();
        }
    }

    /// <summary>One <c>tenantrag serve --dev-auth</c> and an HTTP client signed in as alice of one tenant.</summary>
    private sealed class ServeProcess : IAsyncDisposable
    {
        private readonly HttpClient _http;

        private ServeProcess(CliProcess process, HttpClient http)
        {
            Process = process;
            _http = http;
        }

        public CliProcess Process { get; }

        public static async Task<ServeProcess> StartAsync(CliRunner cli, string slug)
        {
            var process = await cli.StartAsync(ServeEnvironment, "serve", "--dev-auth", "--urls", "http://127.0.0.1:0");
            try
            {
                var line = await process.WaitForLineAsync(l => l.StartsWith("serving on ", StringComparison.Ordinal));
                var http = new HttpClient { BaseAddress = new Uri(line["serving on ".Length..].Split([',', ' '], StringSplitOptions.RemoveEmptyEntries)[0]) };
                var signIn = await http.PostAsJsonAsync("/auth/dev-token", new { tenant = slug, user = "alice" }, Ct);
                Assert.True(signIn.StatusCode == HttpStatusCode.OK, $"dev-token: {(int)signIn.StatusCode} {await signIn.Content.ReadAsStringAsync(Ct)}");
                var token = (await signIn.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("token").GetString();
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
                return new ServeProcess(process, http);
            }
            catch
            {
                await process.DisposeAsync();
                throw;
            }
        }

        /// <summary>Uploads a text document and waits for its job: 201 once it is stored.</summary>
        public async Task UploadAsync(string title, string text)
        {
            var response = await UploadStatusAsync(title, text);
            Assert.True(response.StatusCode == HttpStatusCode.Created, $"upload: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
        }

        public async Task<HttpResponseMessage> UploadStatusAsync(string title, string text)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/documents")
            {
                Content = JsonContent.Create(new { title, text, visibility = "tenant" }),
                Headers = { { "Prefer", "wait=60" } },
            };
            return await _http.SendAsync(request, Ct);
        }

        public async Task<string[]> SearchTitlesAsync(string query)
        {
            var (status, body) = await SearchAsync(query);
            Assert.True(status == HttpStatusCode.OK, $"search: {(int)status} {body}");
            return Titles(body, "hits", "documentTitle");
        }

        /// <summary>The titles of the tenant's documents (<c>GET /v1/documents</c>, read from the database every time).</summary>
        public async Task<string[]> ListTitlesAsync()
        {
            var (status, body) = await ListAsync();
            Assert.True(status == HttpStatusCode.OK, $"documents: {(int)status} {body}");
            return Titles(body, "documents", "title");
        }

        /// <summary>
        /// Lists the documents until the answer is <paramref name="expected"/> (with exactly <paramref name="titles"/>,
        /// when OK), for at most <see cref="Prompt"/>.
        /// </summary>
        public async Task WaitForListAsync(HttpStatusCode expected, params string[] titles)
        {
            var waited = Stopwatch.StartNew();
            var (status, body) = await ListAsync();
            while (status != expected || (status == HttpStatusCode.OK && !Titles(body, "documents", "title").SequenceEqual(titles)))
            {
                Assert.True(waited.Elapsed < Prompt, $"after {waited.Elapsed} the documents still answer {(int)status} {body}");
                await Task.Delay(100, Ct);
                (status, body) = await ListAsync();
            }
        }

        public async ValueTask DisposeAsync()
        {
            _http.Dispose();
            await Process.DisposeAsync();
        }

        private async Task<(HttpStatusCode Status, string Body)> SearchAsync(string query)
        {
            var response = await _http.PostAsJsonAsync("/v1/search", new { query, k = 10 }, Ct);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(Ct));
        }

        private async Task<(HttpStatusCode Status, string Body)> ListAsync()
        {
            var response = await _http.GetAsync("/v1/documents", Ct);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(Ct));
        }

        private static string[] Titles(string body, string list, string title) =>
            [.. JsonDocument.Parse(body).RootElement.GetProperty(list).EnumerateArray().Select(h => h.GetProperty(title).GetString()!).Distinct().Order(StringComparer.Ordinal)];
    }
}
