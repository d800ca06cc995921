using TenantRag.Testing;

namespace TenantRag.Integration.Tests.Bench;

/// <summary>
/// <c>tenantrag bench ingest</c> end to end at a tiny size: the built command line, its in-process server with the real
/// upload model, PDFs made at run time, over the separate <c>tenantrag_bench</c> installation. Figures are printed, never
/// asserted on (they belong to benchmarks); what is checked is that every phase ran and nothing failed.
/// </summary>
[Collection(BenchInstallationCollection.Name)]
public sealed class BenchIngestCommandTests(PostgresServer server) : IDisposable
{
    private readonly CliRunner _cli = new(server, Path.Combine(AppContext.BaseDirectory, "tenantrag.dll"));

    [Fact]
    public async Task Ingest_TinyRun_MeasuresEveryPhaseWithoutErrors()
    {
        await server.TrackPrefixAsync("tenantrag_bench");

        var run = await _cli.RunAsync("bench", "ingest", "--tenants", "1", "--docs", "2", "--clients", "1", "--pdf-chunks", "3", "--rate-pdfs", "1",
            "--bulk-files", "4", "--single-runs", "1", "--neighbour-clients", "1", "--neighbour-seconds", "1", "--neighbour-rounds", "1",
            "--uploaders", "1", "--upload-docs", "1", "--timeout", "60", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        var json = run.Json();

        // (a) Both PDFs, of the asked size, were found by a search, while the other tenant's searches all succeeded.
        var underLoad = json.GetProperty("underLoad");
        foreach (var part in new[] { "alone", "loaded" })
        {
            var pdf = underLoad.GetProperty(part);
            Assert.Equal(3, pdf.GetProperty("chunks").GetInt32());
            Assert.True(pdf.GetProperty("searchableSeconds").GetDouble() > 0, $"{part}: {run.StdOut}");
            Assert.True(pdf.GetProperty("upload").GetProperty("stored").GetBoolean(), $"{part}: {run.StdOut}");
        }

        Assert.True(underLoad.GetProperty("searches").GetProperty("requests").GetInt32() > 0, run.StdOut);
        Assert.Equal(0, underLoad.GetProperty("searches").GetProperty("errors").GetInt32());

        // (b) Every chunk went through the API, and the model alone was measured on the same texts.
        var rate = json.GetProperty("rate");
        Assert.Equal(3, rate.GetProperty("chunks").GetInt64());
        Assert.Equal(0, rate.GetProperty("failed").GetInt32());
        Assert.True(rate.GetProperty("modelAloneChunksPerSecond").GetDouble() > 0 && rate.GetProperty("ratio").GetDouble() > 0, run.StdOut);

        // (c) The single file was timed alone and behind the bulk tenant, whose files were all stored.
        var fairness = json.GetProperty("fairness");
        Assert.Equal(1, fairness.GetProperty("aloneSeconds").GetArrayLength());
        Assert.Equal(1, fairness.GetProperty("behindSeconds").GetArrayLength());
        Assert.Equal((4, 0), (fairness.GetProperty("bulkStored").GetInt32(), fairness.GetProperty("bulkFailed").GetInt32()));

        // (d) Both halves of the noisy-neighbour phase searched, and the neighbour's uploads were stored.
        var neighbour = json.GetProperty("neighbour");
        foreach (var half in new[] { "quiet", "noisy" })
        {
            Assert.True(neighbour.GetProperty(half).GetProperty("requests").GetInt32() > 0, $"{half}: {run.StdOut}");
            Assert.Equal(0, neighbour.GetProperty(half).GetProperty("errors").GetInt32());
        }

        Assert.True(neighbour.GetProperty("uploads").GetProperty("documentsAdded").GetInt32() >= 1, run.StdOut);
        Assert.Equal(0, neighbour.GetProperty("uploads").GetProperty("errors").GetInt32());
        foreach (var target in new[] { "searchableMet", "rateMet", "fairnessMet", "neighbourMet" })
        {
            Assert.True(json.GetProperty("targets").TryGetProperty(target, out _), target);
        }
    }

    [Fact]
    public async Task Ingest_BadOptions_Exit2WithOneLineError()
    {
        var noChunks = await _cli.RunAsync("bench", "ingest", "--pdf-chunks", "0");
        var noTimeout = await _cli.RunAsync("bench", "ingest", "--timeout", "0");

        Assert.True(noChunks.ExitCode == 2, noChunks.ToString());
        Assert.StartsWith("error: --pdf-chunks 0 is out of range", noChunks.StdErr, StringComparison.Ordinal);
        Assert.True(noTimeout.ExitCode == 2, noTimeout.ToString());
        Assert.Contains("--timeout 0 is out of range", noTimeout.StdErr, StringComparison.Ordinal);
    }

    public void Dispose() => _cli.Dispose();
}
