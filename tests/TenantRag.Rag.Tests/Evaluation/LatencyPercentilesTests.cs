using TenantRag.Rag.Evaluation;

namespace TenantRag.Rag.Tests.Evaluation;

public sealed class LatencyPercentilesTests
{
    [Fact]
    public void Of_TwentyValues_UsesNearestRank()
    {
        // Nearest rank: p50 is the 10th of 20 sorted values, p95 the 19th.
        var latencies = Enumerable.Range(1, 20).Select(i => (double)i).Reverse();

        var percentiles = LatencyPercentiles.Of(latencies);

        Assert.Equal(10.0, percentiles.P50);
        Assert.Equal(19.0, percentiles.P95);
    }

    [Fact]
    public void Of_NoValues_IsZero()
    {
        Assert.Equal(default, LatencyPercentiles.Of([]));
    }
}
