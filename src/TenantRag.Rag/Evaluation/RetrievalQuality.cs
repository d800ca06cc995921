namespace TenantRag.Rag.Evaluation;

/// <summary>Metrics averaged over the scored queries, with latency percentiles and the cross-tenant count.</summary>
public sealed record RetrievalQuality
{
    /// <summary>Queries scored.</summary>
    public required int Queries { get; init; }

    /// <summary>Mean nDCG@10.</summary>
    public required double NdcgAt10 { get; init; }

    /// <summary>Mean Recall@10.</summary>
    public required double RecallAt10 { get; init; }

    /// <summary>Mean reciprocal rank within the first 10 (MRR@10).</summary>
    public required double MrrAt10 { get; init; }

    /// <summary>Sum over queries of returned documents that belong to another tenant (must be 0).</summary>
    public required int CrossTenantResults { get; init; }

    /// <summary>Query latency p50/p95 in milliseconds, query embedding included.</summary>
    public required LatencyPercentiles Latency { get; init; }

    /// <summary>Median milliseconds of each search stage the retriever reported, by stage name.</summary>
    public IReadOnlyDictionary<string, double> StageMsP50 { get; init; } = new Dictionary<string, double>();

    /// <summary>Averages <paramref name="queries"/>; all zeros when there are none.</summary>
    public static RetrievalQuality Of(IReadOnlyCollection<QueryEvaluation> queries)
    {
        ArgumentNullException.ThrowIfNull(queries);
        var n = queries.Count;
        return new RetrievalQuality
        {
            Queries = n,
            NdcgAt10 = n == 0 ? 0 : queries.Average(q => q.NdcgAt10),
            RecallAt10 = n == 0 ? 0 : queries.Average(q => q.RecallAt10),
            MrrAt10 = n == 0 ? 0 : queries.Average(q => q.ReciprocalRankAt10),
            CrossTenantResults = queries.Sum(q => q.CrossTenantResults),
            Latency = LatencyPercentiles.Of(queries.Select(q => q.LatencyMs)),
            StageMsP50 = queries.SelectMany(q => q.StageMs).GroupBy(s => s.Key, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => LatencyPercentiles.Of(g.Select(s => s.Value)).P50, StringComparer.Ordinal),
        };
    }
}
