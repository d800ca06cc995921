using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using TenantRag.Postgres.Installation;
using TenantRag.Testing;

namespace TenantRag.Postgres.Tests;

/// <summary>
/// Issue 15 item 4 end to end: a real <c>tenantrag serve</c> with a short idle timeout, and <c>tenant show</c> /
/// <c>tenant list</c> run as separate processes. After a search the tenant shows its cache bytes and last activity; once
/// idle for the timeout it holds 0 cache bytes and 0 connections while the server keeps running; a killed server's last
/// report stops counting once it expires. On an installation of its own, beside the other command-line tests.
/// </summary>
public sealed class IdleVisibilityTests(PostgresServer server) : IDisposable
{
    // An installation of its own, so that this class runs beside the other command-line tests.
    private const string Prefix = "trcli_idle";

    private static readonly string Catalog = new InstallationNames(Prefix).Catalog;

    // Far beyond any wait for a state the server reports within a few seconds, on a loaded machine too.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private readonly CliRunner _cli = TenantRagCli.For(server, Prefix);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _cli.Dispose();

    [Theory]
    [InlineData("shared")]
    [InlineData("dedicated")]
    public async Task TenantShow_AfterSearchesThenIdleTimeout_ShowsCacheBytesAndActivityThenZeroCacheAndZeroConnections(string mode)
    {
        var slug = await CreateAsync(mode);
        await using var serve = await StartServeAsync(slug, idleTimeout: "00:00:03");

        Task<JsonElement> busy;
        using (var searching = new CancellationTokenSource())
        {
            var searches = serve.SearchUntilAsync(searching.Token);
            busy = ShowUntilAsync(slug, s => s.GetProperty("cacheBytes").GetInt64() > 0 && (mode == "shared" || s.GetProperty("connections").GetInt32() > 0));
            await busy;
            await searching.CancelAsync();
            await searches;
        }

        var idle = await ShowUntilAsync(slug, s => s.GetProperty("cacheBytes").GetInt64() == 0 && s.GetProperty("connections").GetInt32() == 0);
        var liveProcesses = await server.ScalarAsync<long>(Catalog, "SELECT count(*) FROM tenantrag.serving_processes WHERE expires_at > now()");
        var text = await _cli.RunAsync("tenant", "show", slug);
        var list = await _cli.RunAsync("tenant", "list");
        var stopped = await serve.Process.StopAsync();
        var liveAfterStop = await server.ScalarAsync<long>(Catalog, "SELECT count(*) FROM tenantrag.serving_processes WHERE expires_at > now()");
        await _cli.RunAsync("tenant", "delete", slug, "--yes");

        var active = await busy;
        Assert.True(active.GetProperty("cacheBytes").GetInt64() > 0);
        Assert.True(active.GetProperty("lastActiveAt").ValueKind == JsonValueKind.String, active.ToString());
        Assert.InRange(active.GetProperty("lastActiveSecondsAgo").GetInt64(), 0, 600);
        Assert.Equal(0L, idle.GetProperty("cacheBytes").GetInt64());
        Assert.Equal(0, idle.GetProperty("connections").GetInt32());
        Assert.Equal(1L, liveProcesses);
        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Matches(@"last active: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ \(\d+ (s|min) ago\)", text.StdOut);
        Assert.Contains("cache:       0 B held by serving processes", text.StdOut, StringComparison.Ordinal);
        Assert.Contains("connections: 0 open", text.StdOut, StringComparison.Ordinal);
        Assert.Matches($@"{slug}\s.*\s(s|min) ago\s+0 B\s+0\s*$", list.StdOut.Split('\n').Single(l => l.StartsWith(slug + " ", StringComparison.Ordinal)));
        Assert.True(stopped.ExitCode == 0, stopped.ToString());
        Assert.Equal(0L, liveAfterStop);
    }

    [Fact]
    public async Task TenantList_ServeKilled_ItsLastReportIsNotCountedOnceExpired()
    {
        var slug = await CreateAsync("shared");
        var id = (await _cli.RunAsync("tenant", "show", slug, "--json")).Json().GetProperty("id").GetString()!;
        await using var serve = await StartServeAsync(slug, idleTimeout: "00:10:00");
        using (var searching = new CancellationTokenSource())
        {
            var searches = serve.SearchUntilAsync(searching.Token);
            await ListUntilAsync(slug, t => t.GetProperty("cacheBytes").GetInt64() > 0);
            await searching.CancelAsync();
            await searches;
        }

        await serve.Process.KillAsync();
        var leftBehind = await server.ScalarAsync<long>(Catalog, "SELECT count(*) FROM tenantrag.serving_processes WHERE holdings ? $1", id);
        var afterExpiry = await ListUntilAsync(slug, t => t.GetProperty("cacheBytes").GetInt64() == 0);
        var stillThere = await server.ScalarAsync<long>(Catalog, "SELECT count(*) FROM tenantrag.serving_processes WHERE holdings ? $1 AND expires_at <= now()", id);
        await _cli.RunAsync("tenant", "delete", slug, "--yes");

        Assert.Equal(1L, leftBehind);
        Assert.Equal(0L, afterExpiry.GetProperty("cacheBytes").GetInt64());
        Assert.Equal(0, afterExpiry.GetProperty("connections").GetInt32());
        Assert.Equal(1L, stillThere);
    }

    private async Task<string> CreateAsync(string mode)
    {
        var slug = Slugs.UniqueText("idle");
        var created = await _cli.RunAsync("tenant", "create", slug, "--mode", mode);
        Assert.True(created.ExitCode == 0, created.ToString());
        return slug;
    }

    private async Task<Serve> StartServeAsync(string slug, string idleTimeout)
    {
        var process = await _cli.StartAsync(new Dictionary<string, string>
        {
            ["TenantRag__Database__IdleTimeout"] = idleTimeout,
            ["TenantRag__Database__PresenceInterval"] = "00:00:00.500",
            ["TenantRag__Jobs__PollMilliseconds"] = "200",
        }, "serve", "--dev-auth", "--urls", "http://127.0.0.1:0");
        try
        {
            var line = await process.WaitForLineAsync(l => l.StartsWith("serving on ", StringComparison.Ordinal));
            var http = new HttpClient { BaseAddress = new Uri(line["serving on ".Length..].Split([',', ' '], StringSplitOptions.RemoveEmptyEntries)[0]) };
            var signIn = await http.PostAsJsonAsync("/auth/dev-token", new { tenant = slug, user = "alice" }, Ct);
            Assert.True(signIn.StatusCode == HttpStatusCode.OK, $"dev-token: {(int)signIn.StatusCode}");
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", (await signIn.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("token").GetString());
            using var upload = new HttpRequestMessage(HttpMethod.Post, "/v1/documents")
            {
                Content = JsonContent.Create(new { title = "Walrus ledger", text = "The walrus ledger lists every tusk of the colony.", visibility = "tenant" }),
                Headers = { { "Prefer", "wait=60" } },
            };
            var uploaded = await http.SendAsync(upload, Ct);
            Assert.True(uploaded.StatusCode == HttpStatusCode.Created, $"upload: {(int)uploaded.StatusCode} {await uploaded.Content.ReadAsStringAsync(Ct)}");
            return new Serve(process, http);
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    // 'tenant show --json' again until its answer satisfies `done`, for at most Patience.
    private Task<JsonElement> ShowUntilAsync(string slug, Func<JsonElement, bool> done) =>
        UntilAsync(async () => (await _cli.RunAsync("tenant", "show", slug, "--json")).Json(), done);

    private Task<JsonElement> ListUntilAsync(string slug, Func<JsonElement, bool> done) =>
        UntilAsync(async () => (await _cli.RunAsync("tenant", "list", "--json")).Json().GetProperty("tenants").EnumerateArray()
            .Single(t => t.GetProperty("slug").GetString() == slug).Clone(), done);

    private static async Task<JsonElement> UntilAsync(Func<Task<JsonElement>> read, Func<JsonElement, bool> done)
    {
        var waited = Stopwatch.StartNew();
        var last = await read();
        while (!done(last))
        {
            Assert.True(waited.Elapsed < Patience, $"after {waited.Elapsed}: {last}");
            await Task.Delay(200, Ct);
            last = await read();
        }

        return last;
    }

    private sealed class Serve(CliProcess process, HttpClient http) : IAsyncDisposable
    {
        public CliProcess Process { get; } = process;

        /// <summary>Searches the tenant every 200 ms until <paramref name="stop"/>: the tenant is busy meanwhile.</summary>
        public async Task SearchUntilAsync(CancellationToken stop)
        {
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    var response = await http.PostAsJsonAsync("/v1/search", new { query = "walrus ledger", k = 3 }, stop);
                    Assert.True(response.StatusCode == HttpStatusCode.OK, $"search: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(stop)}");
                    await Task.Delay(200, stop);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // Done being busy.
            }
        }

        public async ValueTask DisposeAsync()
        {
            http.Dispose();
            await Process.DisposeAsync();
        }
    }
}
