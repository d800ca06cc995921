namespace TenantRag.Rag.Evaluation;

/// <summary>Turns ranked chunks into ranked documents: a document ranks where its first (best) chunk does.</summary>
public static class DocumentRanking
{
    /// <summary>
    /// The distinct document ids of <paramref name="chunkDocumentIds"/> (one per chunk, best chunk first) in order of
    /// first appearance, at most <paramref name="k"/>. Chunks without a document id are skipped.
    /// </summary>
    public static IReadOnlyList<string> FromChunks(IEnumerable<string?> chunkDocumentIds, int k = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(chunkDocumentIds);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var ranking = new List<string>();
        foreach (var id in chunkDocumentIds)
        {
            if (id is not null && seen.Add(id))
            {
                ranking.Add(id);
                if (ranking.Count == k)
                {
                    break;
                }
            }
        }

        return ranking;
    }
}
