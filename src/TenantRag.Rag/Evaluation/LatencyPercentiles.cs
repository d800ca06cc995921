namespace TenantRag.Rag.Evaluation;

/// <summary>Median and 95th percentile of query latencies, in milliseconds (nearest rank).</summary>
/// <param name="P50">Half of the queries took at most this long.</param>
/// <param name="P95">95% of the queries took at most this long.</param>
public readonly record struct LatencyPercentiles(double P50, double P95)
{
    /// <summary>The percentiles of <paramref name="milliseconds"/>; zeros when there are none.</summary>
    public static LatencyPercentiles Of(IEnumerable<double> milliseconds)
    {
        ArgumentNullException.ThrowIfNull(milliseconds);
        var sorted = milliseconds.Order().ToArray();
        return sorted.Length == 0 ? default : new(Percentile(sorted, 0.50), Percentile(sorted, 0.95));
    }

    /// <summary>The nearest-rank percentile <paramref name="p"/> (0 &lt; p ≤ 1) of an ascending array.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double p)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        ArgumentOutOfRangeException.ThrowIfZero(sorted.Count);
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
    }
}
