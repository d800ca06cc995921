using TenantRag.Rag.Evaluation;

namespace TenantRag.Rag.Tests.Evaluation;

public sealed class DocumentRankingTests
{
    [Fact]
    public void FromChunks_RepeatedDocuments_RankAtTheirFirstChunk()
    {
        string?[] chunks = ["d1", "d2", "d1", null, "d3", "d2"];

        var ranking = DocumentRanking.FromChunks(chunks);

        Assert.Equal(["d1", "d2", "d3"], ranking);
    }

    [Fact]
    public void FromChunks_WithK_StopsAfterKDocuments()
    {
        string?[] chunks = ["d1", "d1", "d2", "d3", "d4"];

        var ranking = DocumentRanking.FromChunks(chunks, k: 2);

        Assert.Equal(["d1", "d2"], ranking);
    }
}
