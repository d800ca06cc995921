using TenantRag.Rag.Retrieval.Search;

namespace TenantRag.Rag.Tests.Search;

public sealed class RankFusionTests
{
    [Fact]
    public void Fuse_ItemInBothRankings_OutranksItemsInOne()
    {
        IReadOnlyList<long> vector = [1, 2, 3];
        IReadOnlyList<long> lexical = [4, 3, 5];

        var fused = RankFusion.Fuse([(vector, 1.0), (lexical, 1.0)], 60);

        Assert.Equal(3L, fused[0].Key);
        Assert.Equal((1.0 / 63) + (1.0 / 62), fused[0].Score, 12);
        Assert.Equal([3L, 1, 4, 2, 5], fused.Select(f => f.Key));
    }

    [Fact]
    public void Fuse_Weights_ScaleEachRankingsContribution()
    {
        IReadOnlyList<string> a = ["x"];
        IReadOnlyList<string> b = ["y"];

        var fused = RankFusion.Fuse([(a, 0.5), (b, 2.0)], 0);

        Assert.Equal([("y", 2.0), ("x", 0.5)], fused);
    }

    [Fact]
    public void Fuse_DuplicateInOneRanking_CountsOnlyItsFirstRank()
    {
        IReadOnlyList<int> ranking = [7, 7, 8];

        var fused = RankFusion.Fuse([(ranking, 1.0)], 60);

        Assert.Equal([(7, 1.0 / 61), (8, 1.0 / 63)], fused);
    }

    [Fact]
    public void Fuse_EqualScores_KeepFirstSeenOrder()
    {
        IReadOnlyList<int> a = [1];
        IReadOnlyList<int> b = [2];

        var fused = RankFusion.Fuse([(a, 1.0), (b, 1.0)], 60);

        Assert.Equal([1, 2], fused.Select(f => f.Key));
    }
}
