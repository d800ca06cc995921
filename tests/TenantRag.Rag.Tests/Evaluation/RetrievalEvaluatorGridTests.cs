using System.Text.Json;
using TenantRag.Rag.Evaluation;
using TenantRag.Tenancy;

namespace TenantRag.Rag.Tests.Evaluation;

/// <summary>A fusion grid: each setting's rankings of the same questions scored as a run of that setting alone would score them.</summary>
public sealed class RetrievalEvaluatorGridTests
{
    private const string Q2 = "Where do integration tests go?";
    private const string Q3 = "How do I make a dependency optional?";

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    [Fact]
    public async Task RunAsync_RetrieverWithVariants_ScoresEverySettingAndReportsTheFirstAsTheRun()
    {
        using var files = new QuestionSetFiles();
        var data = await QuestionSetLoader.LoadAsync(files.Set.Path, files.Pages.Path, BeirSplit.Test, TestContext.Current.CancellationToken);
        var retriever = new GridRetriever(new()
        {
            // Under the first setting both questions find their page first; under the second, q2's page is fourth and q3's missing.
            [Q2] = [["guide/layout.html", "guide/tests.html"], ["index.html", "guide/tests.html", "reference/features.html", "guide/layout.html"]],
            [Q3] = [["reference/features.html"], ["index.html"]],
        });

        var report = await new RetrievalEvaluator(new InMemoryTenantCatalog(), new RecordingIngestor(), retriever, new HashEmbeddingGenerator(), answerer: null)
            .RunAsync(data, new EvaluationOptions { TenantPrefix = "cargo-book", MeasureEmbedding = false }, cancellationToken: TestContext.Current.CancellationToken);

        var grid = report.Grid!;
        Assert.Equal([1.0, 2.0], grid.Select(p => p.Settings["rrfK"]));
        Assert.Equal(1.0, grid[0].NdcgAt10);
        Assert.Equal(1.0, grid[0].Top3);
        Assert.Equal(report.NdcgAt10, grid[0].NdcgAt10);
        Assert.Equal(report.Top3, grid[0].Top3);
        // q2: tests.html (also answers, judged 1) second and layout.html (judged 2) fourth; q3: nothing.
        var ideal = 2 + (1 / Math.Log2(3));
        Assert.Equal(Math.Round((((1 / Math.Log2(3)) + (2 / Math.Log2(5))) / ideal) / 2, 4), grid[1].NdcgAt10);
        Assert.Equal(0.5, grid[1].Top3);
        Assert.Equal(0.5, grid[1].RecallAt10);
        Assert.Contains("\"grid\":[{\"settings\":{\"rrfK\":1}", JsonSerializer.Serialize(report, Json), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_RetrieverWithoutVariants_HasNoGrid()
    {
        using var files = new QuestionSetFiles();
        var data = await QuestionSetLoader.LoadAsync(files.Set.Path, files.Pages.Path, BeirSplit.Test, TestContext.Current.CancellationToken);
        var retriever = new ScriptedRetriever(new() { [Q2] = ["guide/layout.html"] });

        var report = await new RetrievalEvaluator(new InMemoryTenantCatalog(), new RecordingIngestor(), retriever, new HashEmbeddingGenerator())
            .RunAsync(data, new EvaluationOptions { TenantPrefix = "cargo-book", MeasureEmbedding = false }, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Null(report.Grid);
        Assert.DoesNotContain("\"grid\"", JsonSerializer.Serialize(report, Json), StringComparison.Ordinal);
    }

    /// <summary>Answers each query under two settings (rrfK 1 and 2) with fixed rankings.</summary>
    private sealed class GridRetriever(Dictionary<string, string?[][]> answers) : IEvaluationRetriever
    {
        public string Name => "grid";

        public IReadOnlyDictionary<string, double> Settings { get; } = new Dictionary<string, double> { ["rrfK"] = 1 };

        public Task<RetrievedDocuments> SearchAsync(TenantContext context, string query, CancellationToken cancellationToken = default)
        {
            var rankings = answers.GetValueOrDefault(query) ?? [[], []];
            return Task.FromResult(new RetrievedDocuments
            {
                DocumentIds = rankings[0],
                Variants = [.. rankings.Select((ranking, i) => new RetrievedVariant
                {
                    Settings = new Dictionary<string, double> { ["rrfK"] = i + 1 },
                    DocumentIds = ranking,
                })],
            });
        }
    }
}
