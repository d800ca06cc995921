using TenantRag.Postgres;
using TenantRag.Rag.Embeddings;
using TenantRag.Rag.Evaluation;
using TenantRag.Rag.Ingestion.Pipeline;
using TenantRag.Rag.Retrieval;
using TenantRag.Rag.Retrieval.Search;
using TenantRag.Testing;

namespace TenantRag.Integration.Tests.Evaluation;

/// <summary>
/// A small end-to-end eval on the real PostgreSQL: 40 SciFact train queries, their judged documents and 200 others,
/// through the real ingestion pipeline and search service. A hashing embedding stands in for the model (the real one
/// takes minutes on a loaded two-core machine), so only lexical-driven quality is asserted.
/// </summary>
public sealed class EvalEndToEndTests(PostgresServer server) : IAsyncLifetime
{
    private const int Queries = 40;
    private const int DistractorsPerQuery = 5;

    private readonly HashingEmbeddingGenerator _embeddings = new();
    private readonly RetrievalIndexCache _cache = new();
    private TenantRagDatabase? _database;
    private BeirDataset? _slice;

    private TenantRagDatabase Database => _database!;

    public async ValueTask InitializeAsync()
    {
        Assert.SkipWhen(SciFactData.Directory is null, "../shared/eval/scifact is not present");
        _database = await server.OpenInstallationAsync("evalend");
        var train = await BeirDatasetLoader.LoadAsync(SciFactData.Directory!, BeirSplit.Train, withTenants: true, TestContext.Current.CancellationToken);
        _slice = train.Slice(Queries, DistractorsPerQuery, perTenant: true);
    }

    public async ValueTask DisposeAsync()
    {
        _cache.Dispose();
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }

    [Fact]
    public async Task RunAsync_TrainSliceInOneTenant_ScoresLexicalAboveFloorAndReusesCorpus()
    {
        var options = new EvaluationOptions { TenantPrefix = "evalend-one" };

        var lexical = await Evaluator(RetrieverKind.Lexical).RunAsync(_slice!, options, cancellationToken: TestContext.Current.CancellationToken);
        var hybrid = await Evaluator(RetrieverKind.Hybrid).RunAsync(_slice!, options, cancellationToken: TestContext.Current.CancellationToken);

        Report("lexical", lexical);
        Report("hybrid (hashing embedding)", hybrid);
        Assert.Equal(Queries, lexical.Queries);
        AssertInUnitRange(lexical);
        AssertInUnitRange(hybrid);
        // Full-text search alone finds most of the 40 claims' abstracts among ~230 documents (about 0.67 with ts_rank_cd).
        Assert.True(lexical.NdcgAt10 >= 0.5, $"lexical nDCG@10 {lexical.NdcgAt10} is below the 0.5 floor");
        Assert.True(hybrid.NdcgAt10 >= 0.4, $"hybrid nDCG@10 {hybrid.NdcgAt10} is below the 0.4 floor");
        Assert.True(lexical.Ingest.Chunks >= _slice!.Corpus.Count, "the first run stores every document's chunks");
        Assert.Equal(0, hybrid.Ingest.Chunks);
        Assert.Equal(_slice.Corpus.Count, hybrid.Ingest.DocumentsUnchanged);
        Assert.True(lexical.EmbeddingOnlyChunksPerSecond > 0);
        Assert.True(lexical.QueryLatencyMs.P50 > 0 && lexical.QueryLatencyMs.P95 >= lexical.QueryLatencyMs.P50);
    }

    [Fact]
    public async Task RunAsync_TrainSlicePerTenant_ReturnsNothingFromAnotherTenant()
    {
        var options = new EvaluationOptions { TenantPrefix = "evalend", PerTenant = true };

        var report = await Evaluator(RetrieverKind.Hybrid).RunAsync(_slice!, options, cancellationToken: TestContext.Current.CancellationToken);

        Report("per-tenant hybrid (hashing embedding)", report);
        Assert.Equal(0, report.CrossTenantResults);
        Assert.Equal(Queries, report.Queries);
        Assert.Equal(_slice!.Corpus.Select(d => _slice.DocumentTenants![d.Id]).Distinct().Count(), report.Tenants.Count);
        Assert.All(report.Tenants, t => Assert.StartsWith("evalend-tenant-", t, StringComparison.Ordinal));
        Assert.All(report.PerQuery, q => Assert.True(q.Ranking.Count > 0, $"query {q.QueryId} found nothing in {q.Tenant}"));
        AssertInUnitRange(report);
        Assert.True(report.NdcgAt10 >= 0.4, $"per-tenant hybrid nDCG@10 {report.NdcgAt10} is below the 0.4 floor");
    }

    private static void Report(string what, EvaluationReport report) => TestContext.Current.TestOutputHelper?.WriteLine(
        $"{what}: nDCG@10 {report.NdcgAt10}, Recall@10 {report.RecallAt10}, MRR@10 {report.MrrAt10}, cross-tenant {report.CrossTenantResults}, p50 {report.QueryLatencyMs.P50} ms, {report.Tenants.Count} tenants");

    private static void AssertInUnitRange(EvaluationReport report)
    {
        Assert.InRange(report.NdcgAt10, 0, 1);
        Assert.InRange(report.RecallAt10, 0, 1);
        Assert.InRange(report.MrrAt10, 0, 1);
    }

    private RetrievalEvaluator Evaluator(RetrieverKind retriever)
    {
        var pipeline = new IngestionPipeline(Database.Documents, _embeddings, MiniLmTokenizer.LoadBundled());
        var search = new SearchService(Database.Search, _embeddings, _cache, new SearchServiceOptions { QueryEmbeddingCacheBytes = 0 });
        return new RetrievalEvaluator(Database.Catalog, new PipelineEvaluationIngestor(pipeline),
            new SearchServiceEvaluationRetriever(search, RetrievalOptions.Default with { Retriever = retriever }), _embeddings);
    }
}
