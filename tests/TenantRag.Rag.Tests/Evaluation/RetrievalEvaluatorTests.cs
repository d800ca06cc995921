using TenantRag.Rag.Evaluation;
using TenantRag.Tenancy;

namespace TenantRag.Rag.Tests.Evaluation;

public sealed class RetrievalEvaluatorTests
{
    private const string Q1 = "Does vitamin D deficiency weaken bones?";
    private const string Q2 = "Do statins lower cholesterol?";

    private readonly InMemoryTenantCatalog _catalog = new();
    private readonly RecordingIngestor _ingestor = new();
    private readonly HashEmbeddingGenerator _embeddings = new();

    [Fact]
    public async Task RunAsync_WholeCorpus_IngestsIntoOneTenantAndScoresEveryQuery()
    {
        using var dir = BeirFiles.Write();
        var data = await BeirDatasetLoader.LoadAsync(dir.Path, BeirSplit.Test, withTenants: false, TestContext.Current.CancellationToken);
        var retriever = new ScriptedRetriever(new() { [Q1] = ["d1", "d1", "d4"], [Q2] = ["d4", "d2"] });

        var report = await Evaluator(retriever).RunAsync(data, new EvaluationOptions(), cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(["scifact"], report.Tenants);
        Assert.Equal(["d1", "d2", "3", "d4"], _ingestor.Offered["scifact"]);
        Assert.Equal(2, report.Queries);
        Assert.Equal((1 + (1 / Math.Log2(3))) / 2, report.NdcgAt10, 4);
        Assert.Equal(1.0, report.RecallAt10);
        Assert.Equal(0.75, report.MrrAt10);
        Assert.Equal(0, report.CrossTenantResults);
        Assert.Equal(4, report.Ingest.Chunks);
        Assert.Equal(1.0, report.Ingest.ChunksPerSecond);
        Assert.Equal(4, report.EmbeddingSample);
        Assert.True(report.EmbeddingOnlyChunksPerSecond > 0);
        Assert.Equal(4, _embeddings.Calls); // the model alone before and after ingestion: a warm-up and a timed run each
        Assert.Equal("test", report.Split);
        Assert.Equal("shared", report.Mode);
        Assert.True(report.QueryStagesMsP50["embedding"] > 0);
    }

    [Fact]
    public async Task RunAsync_PerTenant_AsksEachQueryInItsTenantAndCountsForeignDocuments()
    {
        using var dir = BeirFiles.Write();
        var data = await BeirDatasetLoader.LoadAsync(dir.Path, BeirSplit.Test, withTenants: true, TestContext.Current.CancellationToken);
        // d1 belongs to tenant-00: returning it for a tenant-01 query is a cross-tenant result.
        var retriever = new ScriptedRetriever(new() { [Q1] = ["d1", "d4"], [Q2] = ["d2", "d1", "3"] });

        var report = await Evaluator(retriever).RunAsync(data, new EvaluationOptions { PerTenant = true },
            cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(["scifact-tenant-00", "scifact-tenant-01"], report.Tenants);
        Assert.Equal(["d1", "d4"], _ingestor.Offered["scifact-tenant-00"]);
        Assert.Equal(["d2", "3"], _ingestor.Offered["scifact-tenant-01"]);
        Assert.Contains(("scifact-tenant-00", Q1), retriever.Asked);
        Assert.Contains(("scifact-tenant-01", Q2), retriever.Asked);
        Assert.Equal(1, report.CrossTenantResults);
        Assert.Equal(1, report.PerQuery.Single(q => q.QueryId == "q2").CrossTenantResults);
    }

    [Fact]
    public async Task RunAsync_SecondRun_ReusesTenantsAndStoresNothing()
    {
        using var dir = BeirFiles.Write();
        var data = await BeirDatasetLoader.LoadAsync(dir.Path, BeirSplit.Train, withTenants: false, TestContext.Current.CancellationToken);
        var evaluator = Evaluator(new ScriptedRetriever([]));
        await evaluator.RunAsync(data, new EvaluationOptions(), cancellationToken: TestContext.Current.CancellationToken);

        var again = await evaluator.RunAsync(data, new EvaluationOptions(), cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(1, _catalog.Created);
        Assert.Equal(0, again.Ingest.Chunks);
        Assert.Equal(0, again.Ingest.ChunksPerSecond);
        Assert.Equal(4, again.Ingest.DocumentsUnchanged);
    }

    [Fact]
    public async Task RunAsync_TenantExistsInOtherMode_IsUsageErrorUnlessFresh()
    {
        using var dir = BeirFiles.Write();
        var data = await BeirDatasetLoader.LoadAsync(dir.Path, BeirSplit.Test, withTenants: false, TestContext.Current.CancellationToken);
        _catalog.Add("scifact", TenancyMode.Dedicated);
        var evaluator = Evaluator(new ScriptedRetriever([]));

        var ex = await Assert.ThrowsAsync<UsageException>(() =>
            evaluator.RunAsync(data, new EvaluationOptions(), cancellationToken: TestContext.Current.CancellationToken));
        var fresh = await evaluator.RunAsync(data, new EvaluationOptions { Fresh = true }, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Contains("--mode dedicated", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, _catalog.Deleted);
        Assert.Equal(TenancyMode.Shared, (await _catalog.FindAsync(TenantSlug.Parse("scifact"), TestContext.Current.CancellationToken))!.Mode);
        Assert.Equal(4, fresh.Ingest.Chunks);
    }

    private RetrievalEvaluator Evaluator(ScriptedRetriever retriever) => new(_catalog, _ingestor, retriever, _embeddings);
}
