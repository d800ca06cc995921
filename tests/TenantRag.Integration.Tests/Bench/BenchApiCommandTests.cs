using TenantRag.Testing;

namespace TenantRag.Integration.Tests.Bench;

/// <summary>
/// <c>tenantrag bench api</c> end to end at a tiny size: the built command line, its in-process server and real JWTs over
/// the separate <c>tenantrag_bench</c> installation. Figures are printed, never asserted on (they belong to benchmarks);
/// what is checked is that every phase ran and nothing failed.
/// </summary>
[Collection(BenchInstallationCollection.Name)]
public sealed class BenchApiCommandTests(PostgresServer server) : IDisposable
{
    private readonly CliRunner _cli = new(server, Path.Combine(AppContext.BaseDirectory, "tenantrag.dll"));

    [Fact]
    public async Task Api_TinyRun_MeasuresEveryPhaseWithoutErrors_BadRoundsExit2()
    {
        await server.TrackPrefixAsync("tenantrag_bench");

        var run = await _cli.RunAsync("bench", "api", "--tenants", "2", "--docs", "2", "--clients", "2", "--seconds", "1",
            "--neighbour-clients", "1", "--neighbour-seconds", "2", "--neighbour-rounds", "2", "--uploaders", "1", "--upload-docs", "1", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        var json = run.Json();
        foreach (var phase in new[] { "repeated", "distinct" })
        {
            var figures = json.GetProperty(phase).GetProperty("figures");
            Assert.True(figures.GetProperty("requests").GetInt32() > 0, $"{phase}: {run.StdOut}");
            Assert.Equal(0, figures.GetProperty("errors").GetInt32());
        }

        var neighbour = json.GetProperty("neighbour");
        foreach (var half in new[] { "quiet", "noisy" })
        {
            Assert.True(neighbour.GetProperty(half).GetProperty("requests").GetInt32() > 0, $"{half}: {run.StdOut}");
            Assert.Equal(0, neighbour.GetProperty(half).GetProperty("errors").GetInt32());
        }

        // Both rounds uploaded while the quiet tenant searched, and the phase reports them together.
        var uploads = neighbour.GetProperty("uploads");
        Assert.True(uploads.GetProperty("documentsAdded").GetInt32() >= 2, run.StdOut);
        Assert.Equal(0, uploads.GetProperty("errors").GetInt32());
        Assert.True(neighbour.GetProperty("ratio").GetDouble() > 0, run.StdOut);
        Assert.Contains("2 alternating rounds", run.StdErr + run.StdOut, StringComparison.Ordinal);

        var badRounds = await _cli.RunAsync("bench", "api", "--neighbour-rounds", "0");
        Assert.True(badRounds.ExitCode == 2, badRounds.ToString());
        Assert.Contains("--neighbour-rounds 0 is out of range", badRounds.StdErr, StringComparison.Ordinal);
    }

    public void Dispose() => _cli.Dispose();
}
