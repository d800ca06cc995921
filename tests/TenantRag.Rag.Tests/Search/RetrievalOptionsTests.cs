using TenantRag.Rag.Retrieval.Search;

namespace TenantRag.Rag.Tests.Search;

/// <summary>What the default fusion settings decide when the two retrievers disagree.</summary>
public sealed class RetrievalOptionsTests
{
    private static IReadOnlyList<(string Key, double Score)> FuseWithDefaults(IReadOnlyList<string> vector, IReadOnlyList<string> lexical)
    {
        var options = RetrievalOptions.Default;
        return RankFusion.Fuse([(vector, options.VectorWeight), (lexical, options.LexicalWeight)], options.RrfK);
    }

    [Fact]
    public void Default_LoneVectorFirstAndLoneFullTextFirst_VectorsFirstWins()
    {
        // A how-to question: the vector ranking's first hit is the answer, the full-text ranking's first hit shares one
        // common word with the question, and neither retriever ranks the other's hit at all.
        var fused = FuseWithDefaults(["answer", "v2", "v3"], ["common-word", "l2", "l3"]);

        Assert.Equal("answer", fused[0].Key);
        Assert.True(fused[0].Score > fused.Single(f => f.Key == "common-word").Score);
    }

    [Fact]
    public void Default_FirstInFullTextAndSecondInVector_OutranksFirstInVectorAlone()
    {
        var fused = FuseWithDefaults(["vector-only", "both", "v3"], ["both", "l2", "l3"]);

        Assert.Equal(["both", "vector-only"], fused.Take(2).Select(f => f.Key));
    }

    [Fact]
    public void Default_FullTextFirstAlone_ComesBeforeVectorsFourth()
    {
        // An exact code or a rare term that only full text finds stays in the first few results: it scores as the vector
        // ranking's third (0.75 / 6 = 1 / 8), after it on the tie, and before its fourth.
        var fused = FuseWithDefaults(["v1", "v2", "v3", "v4"], ["code", "l2"]);

        Assert.Equal(["v1", "v2", "v3", "code", "v4"], fused.Take(5).Select(f => f.Key));
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void Validate_SecondChunkWeightOutOfRange_NamesIt(double weight)
    {
        var options = RetrievalOptions.Default with { SecondChunkWeight = weight };

        var error = Assert.Throws<ArgumentOutOfRangeException>(options.Validate);
        Assert.Equal(nameof(RetrievalOptions.SecondChunkWeight), error.ParamName);
    }
}
