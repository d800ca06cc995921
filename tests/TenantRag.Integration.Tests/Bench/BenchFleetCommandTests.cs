using System.Text.Json;
using TenantRag.Testing;

namespace TenantRag.Integration.Tests.Bench;

/// <summary>
/// <c>tenantrag bench fleet</c> end to end at a tiny size: the built command line starts its own throwaway cluster and a
/// real <c>serve</c> process, creates shared and dedicated tenants, ingests, seeds a big tenant, searches with real JWTs
/// and waits out a short idle timeout. Figures are not judged here (targets belong to the bench's own PASS/FAIL lines);
/// what is checked is that every figure is there, counts match what was asked, and sizes and times are plausible.
/// </summary>
public sealed class BenchFleetCommandTests(PostgresServer server) : IDisposable
{
    private const int Tenants = 24;
    private const int Dedicated = 2;
    private const int Docs = 2;
    private const int BigChunks = 300;

    // About a minute on the 2-core machine (a throwaway cluster, a serve process, two models loaded); more when the
    // machine is shared: a bound that stops a hung run, not a measurement.
    private readonly CliRunner _cli = new(server, Path.Combine(AppContext.BaseDirectory, "tenantrag.dll")) { Timeout = TimeSpan.FromMinutes(4) };

    [Fact]
    public async Task Fleet_TinyRun_ReportsEveryFigure_BadSettingsExit2()
    {
        var run = await _cli.RunAsync("bench", "fleet", "--tenants", $"{Tenants}", "--dedicated", $"{Dedicated}", "--big", "1", "--big-chunks", $"{BigChunks}",
            "--docs", $"{Docs}", "--idle-timeout", "2s", "--seconds", "2", "--rate", "20", "--clients", "2", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        var json = run.Json();

        // Every tenant was created, by model; the ten of the first phase are shared and created before the rest.
        var create = json.GetProperty("create");
        var shared = create.GetProperty("shared");
        var dedicated = create.GetProperty("dedicated");
        Assert.Equal(Tenants - Dedicated - 10, shared.GetProperty("count").GetInt32());
        Assert.Equal(Dedicated, dedicated.GetProperty("count").GetInt32());
        foreach (var model in new[] { shared, dedicated })
        {
            Assert.True(model.GetProperty("oneAtATime").GetProperty("p50Ms").GetDouble() > 0, run.StdOut);
            Assert.True(model.GetProperty("oneAtATime").GetProperty("p95Ms").GetDouble() >= model.GetProperty("oneAtATime").GetProperty("p50Ms").GetDouble(), run.StdOut);
        }

        // Disk: a dedicated database is megabytes; shared tenants' documents take room (their empty overhead may fit in
        // free space of pages already there at this size, so it is only at least 0).
        var disk = json.GetProperty("disk");
        Assert.True(disk.GetProperty("dedicatedOverhead").GetInt64() > 1_000_000, run.StdOut);
        Assert.True(disk.GetProperty("dedicatedWithDocuments").GetInt64() >= disk.GetProperty("dedicatedOverhead").GetInt64(), run.StdOut);
        Assert.True(disk.GetProperty("sharedOverhead").GetInt64() >= 0, run.StdOut);
        Assert.True(disk.GetProperty("sharedWithDocuments").GetInt64() > 0, run.StdOut);

        // Every tenant got its documents through the pipeline; the big one its seeded chunks.
        var ingest = json.GetProperty("ingest");
        Assert.Equal(Tenants, ingest.GetProperty("figures").GetProperty("tenants").GetInt32());
        Assert.Equal(Tenants * Docs, ingest.GetProperty("figures").GetProperty("documentsAdded").GetInt64());
        Assert.Equal(Docs, ingest.GetProperty("textsEmbedded").GetInt64());
        var seed = Assert.Single(json.GetProperty("bigSeeds").EnumerateArray());
        Assert.Equal(BigChunks, seed.GetProperty("chunks").GetInt32());

        // Memory and connections of the serve process and of PostgreSQL were read.
        var memory = json.GetProperty("memory");
        foreach (var figure in new[] { "serverRssBytesPeak", "serverRssBytesIdle", "postgresRssBytesPeak", "postgresRssBytesIdle" })
        {
            Assert.True(memory.GetProperty(figure).GetInt64() > 10_000_000, $"{figure}: {run.StdOut}");
        }

        Assert.True(json.GetProperty("connections").GetProperty("peakTotal").GetInt32() > 0, run.StdOut);

        // Both search phases answered every search; the big tenant answered cold, then hot.
        var search = json.GetProperty("search");
        foreach (var phase in new[] { "tenants10", "tenantsN", "tenants10AtFullSize" })
        {
            var figures = search.GetProperty(phase);
            Assert.True(figures.GetProperty("requests").GetInt32() > 0, $"{phase}: {run.StdOut}");
            Assert.Equal(0, figures.GetProperty("errors").GetInt32());
            Assert.True(figures.GetProperty("hot").GetProperty("count").GetInt32() > 0, $"{phase}: {run.StdOut}");

            // Every hot search asked its tenant either a new question or one it answered within the idle timeout.
            Assert.Equal(figures.GetProperty("hot").GetProperty("count").GetInt32(),
                figures.GetProperty("hotNew").GetProperty("count").GetInt32() + figures.GetProperty("hotRepeated").GetProperty("count").GetInt32());
        }

        // 10 tenants and 16 questions: the first phase repeats questions; the full fleet asks most of them anew.
        Assert.True(search.GetProperty("tenants10").GetProperty("hotRepeated").GetProperty("count").GetInt32() > 0, run.StdOut);
        Assert.True(search.GetProperty("tenantsN").GetProperty("hotNew").GetProperty("count").GetInt32() > 0, run.StdOut);

        Assert.Equal(10, search.GetProperty("tenants10").GetProperty("fleetTenants").GetInt32());
        Assert.Equal(Tenants, search.GetProperty("tenantsN").GetProperty("fleetTenants").GetInt32());
        Assert.Equal(Tenants - 1, search.GetProperty("tenantsN").GetProperty("searchedTenants").GetInt32());
        var cold = Assert.Single(json.GetProperty("coldBig").EnumerateArray());
        Assert.True(cold.GetProperty("firstAnswerMs").GetDouble() > 0, run.StdOut);
        Assert.True(cold.GetProperty("untouchedSeconds").GetDouble() > 2, run.StdOut);

        // After the idle wait: connections counted (none to tenant databases: the server closes idle pools) and the cache
        // gauge received from the server's own metric export.
        var idle = json.GetProperty("idle");
        Assert.True(idle.GetProperty("waitedSeconds").GetDouble() > 2, run.StdOut);
        Assert.Equal(0, idle.GetProperty("connections").GetProperty("tenantData").GetInt32());
        Assert.Equal(JsonValueKind.Number, idle.GetProperty("cacheBytes").ValueKind);
        Assert.True(idle.GetProperty("metricExports").GetInt64() > 0, run.StdOut);

        // Every target is judged, and the cluster and home it made are gone.
        var targets = json.GetProperty("targets").EnumerateArray().ToList();
        Assert.Equal(6, targets.Count);
        Assert.All(targets, t => Assert.Contains(t.GetProperty("pass").ValueKind, new[] { JsonValueKind.True, JsonValueKind.False }));
        Assert.True(targets[0].GetProperty("pass").GetBoolean(), run.StdOut);
        var home = json.GetProperty("home").GetString()!;
        Assert.StartsWith(Path.Combine(Path.GetTempPath(), "tenantrag-bench-fleet-"), home, StringComparison.Ordinal);
        Assert.False(Directory.Exists(home), $"{home} is still there");

        var bad = await _cli.RunAsync("bench", "fleet", "--idle-timeout", "soon");
        Assert.True(bad.ExitCode == 2, bad.ToString());
        Assert.Contains("--idle-timeout 'soon' is not a duration", bad.StdErr, StringComparison.Ordinal);

        // A big tenant must not be one of the ten the first phase searches.
        var tooFew = await _cli.RunAsync("bench", "fleet", "--tenants", "11", "--dedicated", "1", "--big", "1");
        Assert.True(tooFew.ExitCode == 2, tooFew.ToString());
        Assert.Contains("--big 1 needs 1 shared tenants besides the first 10", tooFew.StdErr, StringComparison.Ordinal);
    }

    public void Dispose() => _cli.Dispose();
}
