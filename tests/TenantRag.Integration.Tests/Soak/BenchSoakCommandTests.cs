using TenantRag.Integration.Tests.Bench;
using TenantRag.Testing;

namespace TenantRag.Integration.Tests.Soak;

/// <summary>
/// <c>tenantrag bench soak</c> end to end for a few seconds: the built command line, its in-process server, real JWTs
/// and both models, over the separate <c>tenantrag_bench</c> installation.
/// </summary>
[Trait("Category", "Isolation")]
[Collection(BenchInstallationCollection.Name)]
public sealed class BenchSoakCommandTests(PostgresServer server) : IDisposable
{
    private readonly CliRunner _cli = new(server, Path.Combine(AppContext.BaseDirectory, "tenantrag.dll"));

    [Fact]
    public async Task Soak_FewSeconds_ChecksEveryKindOfOperationAndFindsNoLeakLostWriteOr5xx()
    {
        await server.TrackPrefixAsync("tenantrag_bench");

        var run = await _cli.RunAsync("bench", "soak", "--seconds", "4", "--tenants", "1", "--users", "2", "--workers", "4", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        var json = run.Json();
        var checks = json.GetProperty("checks");
        Assert.Equal((0, 0, 0, 0), (checks.GetProperty("leaks").GetInt64(), checks.GetProperty("lostWrites").GetInt32(),
            checks.GetProperty("resurrectedDeletes").GetInt32(), json.GetProperty("http").GetProperty("status5xx").GetInt32()));
        Assert.True(checks.GetProperty("results").GetInt64() > 0 && checks.GetProperty("textMarkers").GetInt64() > 0, run.StdOut);
        var operations = json.GetProperty("operations");
        foreach (var kind in new[] { "ingest", "search", "list", "final-get", "final-get-foreign" })
        {
            Assert.True(operations.TryGetProperty(kind, out _), $"no '{kind}' operation ran: {run.StdOut}");
        }

        Assert.Equal(2, json.GetProperty("tenants").GetProperty("total").GetInt32());
        Assert.True(json.GetProperty("passed").GetBoolean());
    }

    [Fact]
    public async Task Soak_BadOptions_Exit2WithOneLineError()
    {
        var zero = await _cli.RunAsync("bench", "soak", "--seconds", "0");
        var oneUser = await _cli.RunAsync("bench", "soak", "--users", "1");

        Assert.True(zero.ExitCode == 2, zero.ToString());
        Assert.StartsWith("error: --seconds 0 is out of range", zero.StdErr, StringComparison.Ordinal);
        Assert.True(oneUser.ExitCode == 2, oneUser.ToString());
        Assert.Contains("--users 1 is out of range", oneUser.StdErr, StringComparison.Ordinal);
    }

    public void Dispose() => _cli.Dispose();
}
