using TenantRag.Rag.Retrieval;

namespace TenantRag.Rag.Tests.Retrieval;

public sealed class RetrievalWarmUpTests
{
    [Theory]
    [InlineData(RetrievalWarmUp.DefaultDimensions)]
    [InlineData(768)]
    [InlineData(3)]
    public void Run_DecodesAndSearchesItsSnapshots_TenHitsOfEachIndex(int dimensions)
    {
        // It throws when a decoded index answers differently from the one it was written from.
        Assert.Equal(20, RetrievalWarmUp.Run(dimensions));
    }

    [Fact]
    public void Run_WithoutDimensions_IsRefused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => RetrievalWarmUp.Run(0));
}
