namespace TenantRag.Rag.Evaluation;

/// <summary>How one query did.</summary>
public sealed record QueryEvaluation
{
    /// <summary>The number of ranks scored (the 10 of nDCG@10).</summary>
    public const int CutOff = 10;

    /// <summary>The query id.</summary>
    public required string QueryId { get; init; }

    /// <summary>The tenant it was asked in.</summary>
    public required string Tenant { get; init; }

    /// <summary>The returned documents, best first, distinct (a document ranks where its best chunk does).</summary>
    public required IReadOnlyList<string> Ranking { get; init; }

    /// <summary>nDCG@10.</summary>
    public required double NdcgAt10 { get; init; }

    /// <summary>Recall@10.</summary>
    public required double RecallAt10 { get; init; }

    /// <summary>Reciprocal rank of the first relevant document within the first 10, else 0.</summary>
    public required double ReciprocalRankAt10 { get; init; }

    /// <summary>Returned documents that the evaluation set does not place in <see cref="Tenant"/>.</summary>
    public required int CrossTenantResults { get; init; }

    /// <summary>Wall time of the search call, query embedding included.</summary>
    public required double LatencyMs { get; init; }

    /// <summary>Milliseconds per search stage, as the retriever reported them (stages may overlap).</summary>
    public IReadOnlyDictionary<string, double> StageMs { get; init; } = new Dictionary<string, double>();

    /// <summary>
    /// Scores one query's results. <paramref name="chunkDocumentIds"/> are the external document ids of the returned
    /// chunks, best first. With <paramref name="documentTenants"/>, a returned document counts as cross-tenant unless
    /// it maps to <paramref name="tenantName"/> (an unknown document counts too: it is not the query tenant's).
    /// </summary>
    public static QueryEvaluation Score(
        string queryId,
        string tenant,
        IEnumerable<string?> chunkDocumentIds,
        IReadOnlyDictionary<string, int> judgements,
        double latencyMs,
        IReadOnlyDictionary<string, string>? documentTenants = null,
        string? tenantName = null)
    {
        ArgumentNullException.ThrowIfNull(chunkDocumentIds);
        var chunks = chunkDocumentIds.ToList();
        var ranking = DocumentRanking.FromChunks(chunks);
        var crossTenant = 0;
        if (documentTenants is not null)
        {
            ArgumentNullException.ThrowIfNull(tenantName);
            crossTenant = chunks.Count(id => id is null) + ranking.Count(id =>
                !documentTenants.TryGetValue(id, out var owner) || !string.Equals(owner, tenantName, StringComparison.Ordinal));
        }

        return new QueryEvaluation
        {
            QueryId = queryId,
            Tenant = tenant,
            Ranking = ranking,
            NdcgAt10 = RankingMetrics.NdcgAt(CutOff, ranking, judgements),
            RecallAt10 = RankingMetrics.RecallAt(CutOff, ranking, judgements),
            ReciprocalRankAt10 = RankingMetrics.ReciprocalRankAt(CutOff, ranking, judgements),
            CrossTenantResults = crossTenant,
            LatencyMs = latencyMs,
        };
    }
}
