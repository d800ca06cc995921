using TenantRag.Rag.Evaluation;

namespace TenantRag.Rag.Tests.Evaluation;

public sealed class RankingMetricsTests
{
    private const double Tolerance = 1e-9;

    private static readonly Dictionary<string, int> ThreeRelevant = new() { ["a"] = 1, ["b"] = 1, ["c"] = 1 };

    [Fact]
    public void NdcgAt_BinaryGainsWithMisses_MatchesHandComputedValue()
    {
        // DCG = 1/log2(2) + 1/log2(4) = 1.5; ideal (3 relevant) = 1 + 1/log2(3) + 1/log2(4) = 2.1309297535714575.
        string[] ranking = ["a", "x", "b", "y"];

        var ndcg = RankingMetrics.NdcgAt(10, ranking, ThreeRelevant);

        Assert.Equal(0.7039180890341347, ndcg, Tolerance);
    }

    [Fact]
    public void NdcgAt_GradedGains_UsesGradesAndIdealOrderFromQrels()
    {
        // DCG = 1/log2(2) + 0 + 2/log2(4) = 2; ideal = 2/log2(2) + 1/log2(3) = 2.6309297535714575.
        var judgements = new Dictionary<string, int> { ["a"] = 2, ["b"] = 1, ["c"] = 0 };
        string[] ranking = ["b", "c", "a"];

        var ndcg = RankingMetrics.NdcgAt(10, ranking, judgements);

        Assert.Equal(0.7601875334318685, ndcg, Tolerance);
    }

    [Fact]
    public void NdcgAt_PerfectRanking_IsOne()
    {
        string[] ranking = ["c", "b", "a", "z"];

        Assert.Equal(1.0, RankingMetrics.NdcgAt(10, ranking, ThreeRelevant), Tolerance);
    }

    [Fact]
    public void NdcgAt_IdealIsCutAtK_SoMoreRelevantThanKStillScoresOne()
    {
        var judgements = Enumerable.Range(0, 12).ToDictionary(i => $"d{i}", _ => 1);
        var ranking = Enumerable.Range(0, 10).Select(i => $"d{i}").ToArray();

        Assert.Equal(1.0, RankingMetrics.NdcgAt(10, ranking, judgements), Tolerance);
        Assert.Equal(10.0 / 12, RankingMetrics.RecallAt(10, ranking, judgements), Tolerance);
    }

    [Fact]
    public void Metrics_RelevantAtRankTen_CountAndAtRankEleven_DoNot()
    {
        var judgements = new Dictionary<string, int> { ["hit"] = 1 };
        var atTen = Enumerable.Range(0, 9).Select(i => $"miss{i}").Append("hit").ToArray();
        var atEleven = Enumerable.Range(0, 10).Select(i => $"miss{i}").Append("hit").ToArray();

        Assert.Equal(0.2890648263178879, RankingMetrics.NdcgAt(10, atTen, judgements), Tolerance);
        Assert.Equal(1.0, RankingMetrics.RecallAt(10, atTen, judgements), Tolerance);
        Assert.Equal(0.1, RankingMetrics.ReciprocalRankAt(10, atTen, judgements), Tolerance);
        Assert.Equal(0.0, RankingMetrics.NdcgAt(10, atEleven, judgements));
        Assert.Equal(0.0, RankingMetrics.RecallAt(10, atEleven, judgements));
        Assert.Equal(0.0, RankingMetrics.ReciprocalRankAt(10, atEleven, judgements));
    }

    [Fact]
    public void RecallAt_TwoOfThreeRelevantFound_IsTwoThirds()
    {
        string[] ranking = ["a", "x", "b", "y"];

        Assert.Equal(2.0 / 3, RankingMetrics.RecallAt(10, ranking, ThreeRelevant), Tolerance);
    }

    [Fact]
    public void RecallAt_GradeZeroJudgement_IsNotRelevant()
    {
        var judgements = new Dictionary<string, int> { ["a"] = 2, ["b"] = 1, ["c"] = 0 };
        string[] ranking = ["b", "c", "a"];

        Assert.Equal(1.0, RankingMetrics.RecallAt(10, ranking, judgements), Tolerance);
        Assert.Equal(0.5, RankingMetrics.ReciprocalRankAt(10, ["c", "a"], judgements), Tolerance);
    }

    [Fact]
    public void ReciprocalRankAt_FirstRelevantThird_IsOneThird()
    {
        string[] ranking = ["x", "y", "b", "a"];

        Assert.Equal(1.0 / 3, RankingMetrics.ReciprocalRankAt(10, ranking, ThreeRelevant), Tolerance);
    }

    [Fact]
    public void Metrics_EmptyRankingOrNothingRelevant_AreZero()
    {
        var nothingRelevant = new Dictionary<string, int> { ["a"] = 0 };

        Assert.Equal(0.0, RankingMetrics.NdcgAt(10, [], ThreeRelevant));
        Assert.Equal(0.0, RankingMetrics.RecallAt(10, [], ThreeRelevant));
        Assert.Equal(0.0, RankingMetrics.ReciprocalRankAt(10, [], ThreeRelevant));
        Assert.Equal(0.0, RankingMetrics.NdcgAt(10, ["a"], nothingRelevant));
        Assert.Equal(0.0, RankingMetrics.RecallAt(10, ["a"], nothingRelevant));
    }

    [Fact]
    public void NdcgAt_DocumentListedTwice_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => RankingMetrics.NdcgAt(10, ["a", "a"], ThreeRelevant));

        Assert.Contains("more than once", ex.Message, StringComparison.Ordinal);
    }
}
