namespace TenantRag.Rag.Evaluation;

/// <summary>
/// Per-query ranking metrics as BEIR computes them (through trec_eval): a ranking is a list of distinct document ids,
/// best first; judgements map document ids to grades, and a grade above 0 is relevant.
/// </summary>
public static class RankingMetrics
{
    /// <summary>
    /// nDCG@k: the sum over the first <paramref name="k"/> documents of grade / log2(rank + 1), divided by the same sum
    /// for the ideal ranking of the judged documents (grades sorted high to low). Binary grades give binary gains.
    /// 0 when nothing is relevant.
    /// </summary>
    public static double NdcgAt(int k, IReadOnlyList<string> ranking, IReadOnlyDictionary<string, int> judgements)
    {
        Check(k, ranking, judgements);
        var dcg = 0.0;
        for (var i = 0; i < Math.Min(k, ranking.Count); i++)
        {
            dcg += Gain(judgements, ranking[i]) / Math.Log2(i + 2);
        }

        var ideal = 0.0;
        var rank = 0;
        foreach (var grade in judgements.Values.Where(g => g > 0).OrderDescending().Take(k))
        {
            ideal += grade / Math.Log2(++rank + 1);
        }

        return ideal == 0 ? 0 : dcg / ideal;
    }

    /// <summary>Recall@k: the share of the relevant documents found in the first <paramref name="k"/>; 0 when nothing is relevant.</summary>
    public static double RecallAt(int k, IReadOnlyList<string> ranking, IReadOnlyDictionary<string, int> judgements)
    {
        Check(k, ranking, judgements);
        var relevant = judgements.Values.Count(g => g > 0);
        if (relevant == 0)
        {
            return 0;
        }

        var found = ranking.Take(k).Count(id => Gain(judgements, id) > 0);
        return (double)found / relevant;
    }

    /// <summary>Reciprocal rank within the first <paramref name="k"/>: 1 / the rank of the first relevant document, or 0 when none is there.</summary>
    public static double ReciprocalRankAt(int k, IReadOnlyList<string> ranking, IReadOnlyDictionary<string, int> judgements)
    {
        Check(k, ranking, judgements);
        for (var i = 0; i < Math.Min(k, ranking.Count); i++)
        {
            if (Gain(judgements, ranking[i]) > 0)
            {
                return 1.0 / (i + 1);
            }
        }

        return 0;
    }

    private static int Gain(IReadOnlyDictionary<string, int> judgements, string id) =>
        judgements.TryGetValue(id, out var grade) && grade > 0 ? grade : 0;

    private static void Check(int k, IReadOnlyList<string> ranking, IReadOnlyDictionary<string, int> judgements)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        ArgumentNullException.ThrowIfNull(ranking);
        ArgumentNullException.ThrowIfNull(judgements);
        if (ranking.Count > 1 && ranking.Distinct(StringComparer.Ordinal).Count() != ranking.Count)
        {
            // A document counted twice would inflate every metric; DocumentRanking.FromChunks gives distinct ids.
            throw new ArgumentException("the ranking lists a document more than once; collapse chunks to documents first", nameof(ranking));
        }
    }
}
