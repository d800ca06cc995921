using TenantRag.Rag.Evaluation;

namespace TenantRag.Rag.Tests.Evaluation;

public sealed class QueryEvaluationTests
{
    private static readonly Dictionary<string, int> Judgements = new() { ["a"] = 1 };

    private static readonly Dictionary<string, string> Tenants = new()
    {
        ["a"] = "tenant-01",
        ["b"] = "tenant-01",
        ["c"] = "tenant-02",
    };

    [Fact]
    public void Score_ChunksOfOneDocument_CountItOnce()
    {
        var result = QueryEvaluation.Score("q1", "scifact", ["b", "b", "a", "a"], Judgements, 12.5);

        Assert.Equal(["b", "a"], result.Ranking);
        Assert.Equal(0.5, result.ReciprocalRankAt10);
        Assert.Equal(1.0 / Math.Log2(3), result.NdcgAt10, 1e-12);
        Assert.Equal(0, result.CrossTenantResults);
        Assert.Equal(12.5, result.LatencyMs);
    }

    [Fact]
    public void Score_DocumentsOfAnotherTenant_AreCountedOnceEach()
    {
        var result = QueryEvaluation.Score("q1", "scifact-tenant-01", ["a", "c", "c", "b"], Judgements, 1, Tenants, "tenant-01");

        Assert.Equal(1, result.CrossTenantResults);
    }

    [Fact]
    public void Score_DocumentsTheSetDoesNotKnow_CountAsCrossTenant()
    {
        var result = QueryEvaluation.Score("q1", "scifact-tenant-01", ["a", "stranger", null], Judgements, 1, Tenants, "tenant-01");

        Assert.Equal(2, result.CrossTenantResults);
    }

    [Fact]
    public void Of_ThreeQueries_AveragesMetricsAndSumsCrossTenant()
    {
        QueryEvaluation[] queries =
        [
            QueryEvaluation.Score("q1", "t", ["a"], Judgements, 10, Tenants, "tenant-01"),
            QueryEvaluation.Score("q2", "t", ["c", "a"], Judgements, 30, Tenants, "tenant-01"),
            QueryEvaluation.Score("q3", "t", ["b"], Judgements, 20, Tenants, "tenant-01"),
        ];

        var quality = RetrievalQuality.Of(queries);

        Assert.Equal(3, quality.Queries);
        Assert.Equal((1 + 0.5 + 0) / 3, quality.MrrAt10, 1e-12);
        Assert.Equal(2.0 / 3, quality.RecallAt10, 1e-12);
        Assert.Equal(1, quality.CrossTenantResults);
        Assert.Equal(new LatencyPercentiles(20, 30), quality.Latency);
    }

    [Fact]
    public void Of_StageTimings_GivesEachStagesMedian()
    {
        QueryEvaluation[] queries =
        [
            QueryEvaluation.Score("q1", "t", ["a"], Judgements, 10) with { StageMs = new Dictionary<string, double> { ["embedding"] = 4, ["lexical"] = 9 } },
            QueryEvaluation.Score("q2", "t", ["a"], Judgements, 10) with { StageMs = new Dictionary<string, double> { ["embedding"] = 2, ["lexical"] = 1 } },
            QueryEvaluation.Score("q3", "t", ["a"], Judgements, 10) with { StageMs = new Dictionary<string, double> { ["embedding"] = 3, ["lexical"] = 5 } },
        ];

        var quality = RetrievalQuality.Of(queries);

        Assert.Equal(3, quality.StageMsP50["embedding"]);
        Assert.Equal(5, quality.StageMsP50["lexical"]);
    }
}
