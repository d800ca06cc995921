namespace TenantRag.Rag.Retrieval.Search;

/// <summary>Weighted reciprocal rank fusion (Cormack et al., 2009): robust to retrievers whose scores are not comparable.</summary>
public static class RankFusion
{
    /// <summary>
    /// Fuses rankings: an item at rank r (from 1) in a ranking of weight w scores w / (<paramref name="k"/> + r), summed
    /// over the rankings it appears in. Items appearing twice in one ranking count at their first rank.
    /// </summary>
    /// <typeparam name="TKey">The item identity (a chunk or a document id).</typeparam>
    /// <param name="rankings">Each ranking, best first, with its weight (0 or more).</param>
    /// <param name="k">Damping of the rank: larger values flatten the difference between top and lower ranks. Usually 60.</param>
    /// <returns>Every item with its fused score, best first; ties keep the order in which items were first met.</returns>
    public static IReadOnlyList<(TKey Key, double Score)> Fuse<TKey>(IEnumerable<(IReadOnlyList<TKey> Ranking, double Weight)> rankings, double k)
        where TKey : notnull
    {
        ArgumentNullException.ThrowIfNull(rankings);
        var scores = new Dictionary<TKey, (double Score, int FirstSeen)>();
        foreach (var (ranking, weight) in rankings)
        {
            var seen = new HashSet<TKey>();
            for (var i = 0; i < ranking.Count; i++)
            {
                var key = ranking[i];
                if (!seen.Add(key))
                {
                    continue;
                }

                var contribution = weight / (k + i + 1);
                scores[key] = scores.TryGetValue(key, out var current)
                    ? (current.Score + contribution, current.FirstSeen)
                    : (contribution, scores.Count);
            }
        }

        var fused = scores.Select(p => (p.Key, p.Value.Score, p.Value.FirstSeen)).ToList();
        fused.Sort(static (a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.FirstSeen.CompareTo(b.FirstSeen));
        return [.. fused.Select(f => (f.Key, f.Score))];
    }
}
