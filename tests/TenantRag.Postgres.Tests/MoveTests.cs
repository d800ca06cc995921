using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TenantRag.Testing;

namespace TenantRag.Postgres.Tests;

/// <summary>
/// <c>tenantrag tenant move</c> (issue 14 item 3) over two real clusters (<see cref="ServerCommandTests.Fleet"/>): each
/// direction while writers and readers use the tenant through a real <c>serve</c> process's HTTP API. No acknowledged
/// write is lost or doubled, document ids stay, reads never fail, writes only ever wait or answer 503 with
/// <c>Retry-After</c>, and afterwards the tenant lives in exactly one place with no replication object left anywhere.
/// </summary>
public sealed class MoveTests(ServerCommandTests.Fleet fleet) : IClassFixture<ServerCommandTests.Fleet>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // Between one writer's uploads and one reader's searches during a move: enough for dozens of each while the
    // tenant is copied, fenced and switched, without a backlog of hundreds of uploads to embed afterwards.
    private static readonly TimeSpan WritePause = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan ReadPause = TimeSpan.FromMilliseconds(20);

    [Theory]
    [InlineData("primary", "shared", "primary", "dedicated")]
    [InlineData("primary", "dedicated", "second", "shared")]
    [InlineData("second", "shared", "primary", "shared")]
    [InlineData("second", "dedicated", "primary", "dedicated")]
    public async Task Move_UnderConcurrentWritesAndReads_LosesNothingDoublesNothingAndNeverFailsAReader(string fromServer, string fromMode, string toServer, string toMode)
    {
        await fleet.EnsureSecondAddedAsync();
        var moves = new FleetMoves(fleet);
        var slug = await moves.CreateAsync(fromMode, fromServer);
        await using var serve = await fleet.Cli.StartAsync(new Dictionary<string, string>
        {
            ["TenantRag__Limits__RequestsPerSecond"] = "10000",
            ["TenantRag__Limits__Burst"] = "10000",
            ["TenantRag__Limits__IngestConcurrency"] = "16",
        }, "serve", "--dev-auth", "--urls", "http://127.0.0.1:0");
        using var http = await FleetMoves.SignInAsync(serve, slug, "alice");

        var seed = await http.SendAsync(FleetMoves.Upload("Walrus ledger", "The walrus ledger lists every tusk of the colony.", wait: true), Ct);
        Assert.Equal(HttpStatusCode.Created, seed.StatusCode);
        var seedId = (await seed.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("documentIds")[0].GetGuid();

        using var stop = new CancellationTokenSource();
        var acknowledged = new ConcurrentDictionary<string, Guid>();
        var failures = new ConcurrentQueue<string>();
        var fenced = 0;
        var searches = 0;
        async Task WriteAsync(int writer)
        {
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                var title = $"Note {writer}-{n}";
                var answer = await http.SendAsync(FleetMoves.Upload(title, $"Entry {n} of writer {writer}: the walrus counts tusks.", wait: false), Ct);
                if (answer.StatusCode == HttpStatusCode.Accepted)
                {
                    acknowledged[title] = (await answer.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("jobId").GetGuid();
                }
                else if (answer.StatusCode == HttpStatusCode.ServiceUnavailable && answer.Headers.RetryAfter is not null)
                {
                    Interlocked.Increment(ref fenced);
                }
                else
                {
                    failures.Enqueue($"write {title}: {(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync(Ct)}");
                }

                // Paced: unpaced writers acknowledged 450-560 uploads per move, whose embedding then took half the test.
                await Task.Delay(WritePause, Ct);
            }
        }

        async Task ReadAsync()
        {
            while (!stop.IsCancellationRequested)
            {
                var answer = await http.PostAsJsonAsync("/v1/search", new { query = "walrus ledger tusk", k = 5 }, Ct);
                var body = await answer.Content.ReadAsStringAsync(Ct);
                if (answer.StatusCode != HttpStatusCode.OK || !body.Contains("Walrus ledger", StringComparison.Ordinal))
                {
                    failures.Enqueue($"search: {(int)answer.StatusCode} {body}");
                }

                Interlocked.Increment(ref searches);
                await Task.Delay(ReadPause, Ct);
            }
        }

        var load = new[] { WriteAsync(1), WriteAsync(2), ReadAsync(), ReadAsync() };
        await Task.Delay(1000, Ct);
        var move = await fleet.Cli.RunAsync("tenant", "move", slug, "--to-server", toServer, "--mode", toMode, "--json");
        await Task.Delay(1500, Ct);
        await stop.CancelAsync();
        await Task.WhenAll(load);

        Assert.True(move.ExitCode == 0, move.ToString());
        fleet.AssertNoPassword(move);
        var report = move.Json();
        Assert.Equal("done", report.GetProperty("step").GetString());
        Assert.True(report.GetProperty("fenceMs").GetInt64() >= 0);
        Assert.True(report.GetProperty("copyMs").GetInt64() >= 0);
        Assert.Empty(failures);
        Assert.True(searches > 0 && acknowledged.Count > 0, $"{searches} searches, {acknowledged.Count} writes");

        // Every acknowledged upload ends as exactly one document at the target; the seed keeps its id.
        await FleetMoves.WaitForJobsAsync(http, acknowledged.Values);
        var place = await moves.PlaceAsync(slug);
        Assert.Equal((toServer, toMode), (place.Server, place.Mode));
        var titles = await moves.TitlesAsync(place, slug);
        Assert.Equal(acknowledged.Keys.Append("Walrus ledger").Order(StringComparer.Ordinal), titles.Order(StringComparer.Ordinal));
        var listed = await http.GetFromJsonAsync<JsonElement>("/v1/documents/" + seedId, Ct);
        Assert.Equal("Walrus ledger", listed.GetProperty("title").GetString());

        await moves.AssertServedFromOnlyAsync(slug, place);
        await moves.AssertNoReplicationObjectsAsync();

        // A write after the move lands at the target, and a search finds it.
        var after = await http.SendAsync(FleetMoves.Upload("Okapi ledger", "The okapi ledger lists every stripe.", wait: true), Ct);
        Assert.Equal(HttpStatusCode.Created, after.StatusCode);
        Assert.Contains("Okapi ledger", await moves.TitlesAsync(place, slug));
        await serve.StopAsync();

        // Metering survived the move: every search (each one answered) counted exactly once, at the target, however
        // many the source answered after the fence or after the switch; and what the tenant stores there is what its
        // counted changes add up to.
        await moves.AssertMeteredAsync(slug, place, searches);
        await moves.DeleteAsync(slug);
    }

    [Fact]
    public async Task Move_BadInput_IsRefusedAndChangesNothing()
    {
        await fleet.EnsureSecondAddedAsync();
        var moves = new FleetMoves(fleet);
        var slug = await moves.CreateAsync("shared", "primary");
        var cases = new (string[] Args, int Exit, string Says)[]
        {
            (["tenant", "move", slug], 2, "say where to move it"),
            (["tenant", "move", slug, "--mode", "shared"], 2, "already shared on server 'primary'"),
            (["tenant", "move", slug, "--to-server", "primary"], 2, "already shared"),
            (["tenant", "move", slug, "--mode", "sharded"], 2, "sharded"),
            (["tenant", "move", slug, "--to-server", "Bad Name"], 2, "--to-server"),
            (["tenant", "move", slug, "--to-server", "nowhere"], 1, "nowhere"),
            (["tenant", "move", slug, "--resume", "--abort"], 2, "cannot go together"),
            (["tenant", "move", slug, "--resume", "--mode", "dedicated"], 2, "drop --to-server and --mode"),
            (["tenant", "move", slug, "--mode", "dedicated", "--pause-after", "lunch"], 2, "--pause-after"),
            (["tenant", "move", slug, "--resume"], 1, "no move in progress"),
            (["tenant", "move", slug, "--abort"], 1, "no move in progress"),
            (["tenant", "move", "no-such-tenant", "--mode", "dedicated"], 1, "does not exist"),
        };

        foreach (var (args, exit, says) in cases)
        {
            var run = await fleet.Cli.RunAsync(args);
            Assert.True(run.ExitCode == exit, $"{string.Join(' ', args)}: {run}");
            Assert.Contains(says, run.StdErr, StringComparison.Ordinal);
        }

        Assert.Equal(("primary", "shared"), ((await moves.PlaceAsync(slug)).Server, (await moves.PlaceAsync(slug)).Mode));
        Assert.Equal(0L, await fleet.ScalarAsync<long>(fleet.MainUrl, "SELECT count(*) FROM tenantrag.tenant_moves WHERE slug = $1", "tenantrag_catalog", slug));
        await moves.AssertNoReplicationObjectsAsync();
        await moves.DeleteAsync(slug);
    }

    [Fact]
    public async Task Drain_MovesEveryTenantOffOnlineThenRemoveTakesTheServerOut()
    {
        await fleet.EnsureSecondAddedAsync();
        var moves = new FleetMoves(fleet);
        var shared = await moves.CreateAsync("shared", "second");
        var dedicated = await moves.CreateAsync("dedicated", "second");
        foreach (var slug in new[] { shared, dedicated })
        {
            await fleet.IngestAsync(slug, slug + ".md", $"# Ledger of {slug}\n\nThe walrus ledger lists every tusk.\n");
        }

        var drain = await fleet.Cli.RunAsync("server", "drain", "second", "--json");
        Assert.True(drain.ExitCode == 0, drain.ToString());
        fleet.AssertNoPassword(drain);
        var moved = drain.Json().GetProperty("moved").EnumerateArray().ToDictionary(m => m.GetProperty("tenant").GetString()!, m => m.GetProperty("mode").GetString());
        Assert.Equal("shared", moved[shared]);
        Assert.Equal("dedicated", moved[dedicated]);
        Assert.Equal("draining", await fleet.ScalarAsync<string>(fleet.MainUrl, "SELECT status FROM tenantrag.servers WHERE id = 'second'", "tenantrag_catalog"));

        // Draining: no new tenant goes there, even when asked.
        var refused = await fleet.Cli.RunAsync("tenant", "create", Slugs.UniqueText("mv"), "--server", "second");
        Assert.True(refused.ExitCode == 1 && refused.StdErr.Contains("draining", StringComparison.Ordinal), refused.ToString());

        foreach (var slug in new[] { shared, dedicated })
        {
            var place = await moves.PlaceAsync(slug);
            Assert.Equal("primary", place.Server);
            await moves.AssertServedFromOnlyAsync(slug, place);
            Assert.Contains($"Ledger of {slug}", (await fleet.Cli.RunAsync("search", slug, "walrus ledger", "--user", "alice")).StdOut, StringComparison.Ordinal);
        }

        await moves.AssertNoReplicationObjectsAsync();
        var removed = await fleet.Cli.RunAsync("server", "remove", "second");
        Assert.True(removed.ExitCode == 0, removed.ToString());
        await moves.DeleteAsync(shared);
        await moves.DeleteAsync(dedicated);
    }

    [Fact]
    public async Task TwoServeProcesses_AMoveRunFromTheCommandLine_IsSeenByBothAtOnce()
    {
        await fleet.EnsureSecondAddedAsync();
        var moves = new FleetMoves(fleet);
        var slug = await moves.CreateAsync("shared", "primary");

        // Both processes trust a cached catalog entry for 10 minutes: only the catalog's notification can tell them
        // the tenant moved (the mover removes the source rows a few seconds after the switch).
        var settings = new Dictionary<string, string> { ["TenantRag__Database__CatalogCacheTtl"] = "00:10:00" };
        await using var first = await fleet.Cli.StartAsync(settings, "serve", "--dev-auth", "--urls", "http://127.0.0.1:0");
        await using var second = await fleet.Cli.StartAsync(settings, "serve", "--dev-auth", "--urls", "http://127.0.0.1:0");
        using var one = await FleetMoves.SignInAsync(first, slug, "alice");
        using var two = await FleetMoves.SignInAsync(second, slug, "alice");
        Assert.Equal(HttpStatusCode.Created, (await one.SendAsync(FleetMoves.Upload("Walrus ledger", "The walrus ledger lists every tusk.", wait: true), Ct)).StatusCode);
        Assert.Contains("Walrus ledger", await SearchAsync(two, "walrus ledger"), StringComparison.Ordinal);

        var move = await fleet.Cli.RunAsync("tenant", "move", slug, "--to-server", "second", "--mode", "dedicated");
        Assert.True(move.ExitCode == 0, move.ToString());
        var place = await moves.PlaceAsync(slug);
        await moves.AssertServedFromOnlyAsync(slug, place);

        // The source is gone; both read the target, and a write through one is in the next search through the other.
        Assert.Contains("Walrus ledger", await SearchAsync(one, "walrus ledger"), StringComparison.Ordinal);
        Assert.Contains("Walrus ledger", await SearchAsync(two, "walrus ledger"), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Created, (await two.SendAsync(FleetMoves.Upload("Okapi ledger", "The okapi ledger lists every stripe.", wait: true), Ct)).StatusCode);
        Assert.Contains("Okapi ledger", await SearchAsync(one, "okapi ledger"), StringComparison.Ordinal);
        Assert.Equal(["Okapi ledger", "Walrus ledger"], await moves.TitlesAsync(place, slug));
        await first.StopAsync();
        await second.StopAsync();
        await moves.DeleteAsync(slug);
    }

    private static async Task<string> SearchAsync(HttpClient http, string query)
    {
        var answer = await http.PostAsJsonAsync("/v1/search", new { query, k = 5 }, Ct);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        return await answer.Content.ReadAsStringAsync(Ct);
    }
}
