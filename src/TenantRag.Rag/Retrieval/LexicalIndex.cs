using System.Buffers;

namespace TenantRag.Rag.Retrieval;

/// <summary>
/// An immutable, in-process inverted index of one partition of a tenant's full-text terms, ranked BM25-style.
/// Thread-safe for any number of concurrent searches. Build instances with <see cref="LexicalIndexBuilder"/>.
/// </summary>
/// <remarks>
/// <para>
/// A chunk's score for a query is the sum, over the query's distinct terms it holds, of
/// idf × f × (k1 + 1) / (f + k1 × (1 − b + b × length / <see cref="AverageTerms"/>)), where f is the chunk's term
/// frequency (<see cref="TenantRag.Retrieval.ChunkTerms"/>), length its number of distinct terms, and
/// idf = ln(1 + (N − df + 0.5) / (df + 0.5)) over the N chunks the searching user may see, df of them holding the term.
/// k1 = <see cref="K1"/> and b = <see cref="B"/> were tuned on the SciFact train split. Every query word may match (OR
/// semantics): requiring all of them loses recall on questions.
/// </para>
/// <para>
/// Visibility is enforced inside the index too: a search on behalf of a user skips other users' private rows (a
/// partition should hold none; this keeps a bug elsewhere from spreading).
/// </para>
/// </remarks>
public sealed partial class LexicalIndex : IRetrievalIndex
{
    /// <summary>BM25's term-frequency saturation.</summary>
    public const float K1 = 0.9f;

    /// <summary>BM25's length normalisation: 0 ignores length, 1 divides by it fully.</summary>
    public const float B = 0.3f;

    /// <summary>The typical number of distinct terms of a chunk of about 200 tokens (length normalisation's pivot).</summary>
    public const float AverageTerms = 64f;

    private readonly long[] _chunkIds;
    private readonly string?[] _privateOwners;
    private readonly float[] _lengthNorms;
    private readonly SortedTerms _terms;
    private readonly int[] _postingStarts;
    private readonly int[] _postingRows;
    private readonly float[] _postingFrequencies;

    internal LexicalIndex(long[] chunkIds, string?[] privateOwners, float[] lengthNorms, SortedTerms terms,
        int[] postingStarts, int[] postingRows, float[] postingFrequencies)
    {
        _chunkIds = chunkIds;
        _privateOwners = privateOwners;
        _lengthNorms = lengthNorms;
        _terms = terms;
        _postingStarts = postingStarts;
        _postingRows = postingRows;
        _postingFrequencies = postingFrequencies;

        const long ArrayOverhead = 24;
        EstimatedBytes = (6 * ArrayOverhead)
            + ((sizeof(long) + IntPtr.Size + sizeof(float)) * (long)chunkIds.Length)
            + (sizeof(int) * (long)postingStarts.Length)
            + ((sizeof(int) + sizeof(float)) * (long)postingRows.Length)
            + terms.EstimatedBytes;
    }

    /// <summary>Gets the number of chunks.</summary>
    public int Count => _chunkIds.Length;

    /// <summary>Gets an estimate of the managed memory the index holds, in bytes.</summary>
    public long EstimatedBytes { get; }

    /// <summary>Gets whether any chunk is private to its owner (a tenant-wide partition must hold none).</summary>
    internal bool HasPrivateRows => Array.Exists(_privateOwners, static owner => owner is not null);

    /// <summary>Creates an index with no chunks.</summary>
    /// <returns>The empty index.</returns>
    public static LexicalIndex CreateEmpty() => new LexicalIndexBuilder().Build();

    /// <summary>How many of the index's chunks hold <paramref name="term"/>.</summary>
    /// <param name="term">A normalised term.</param>
    /// <returns>The document frequency; 0 for an unknown term.</returns>
    public int DocumentFrequency(string term)
    {
        ArgumentNullException.ThrowIfNull(term);
        var id = _terms.IndexOf(term);
        return id >= 0 ? _postingStarts[id + 1] - _postingStarts[id] : 0;
    }

    /// <summary>
    /// The <paramref name="k"/> best chunks for the query <paramref name="terms"/> across <paramref name="partitions"/>
    /// (the partitions one user may see: N and df are counted over all of them), skipping private chunks of users
    /// other than <paramref name="userId"/>. Best first; equal scores by chunk id.
    /// </summary>
    /// <param name="partitions">The indexes to search together; a chunk must be in at most one.</param>
    /// <param name="terms">The query's normalised terms; repeats count once.</param>
    /// <param name="k">How many hits at most, at least 1.</param>
    /// <param name="userId">The searching user.</param>
    /// <returns>Chunk ids with scores.</returns>
    public static IReadOnlyList<(long ChunkId, float Score)> Search(IReadOnlyList<LexicalIndex> partitions, IEnumerable<string> terms, int k, string userId)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        ArgumentNullException.ThrowIfNull(terms);
        ArgumentNullException.ThrowIfNull(userId);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);

        var visible = 0.0;
        foreach (var partition in partitions)
        {
            visible += partition.Count;
        }

        var weighted = new List<(string Term, double Idf)>();
        foreach (var term in terms.Distinct(StringComparer.Ordinal))
        {
            var df = 0;
            foreach (var partition in partitions)
            {
                df += partition.DocumentFrequency(term);
            }

            if (df > 0)
            {
                weighted.Add((term, Math.Log(1 + ((visible - df + 0.5) / (df + 0.5)))));
            }
        }

        var best = new TopHits(k);
        if (weighted.Count > 0)
        {
            foreach (var partition in partitions)
            {
                partition.Score(weighted, userId, best);
            }
        }

        return best.ToList();
    }

    internal static float LengthNorm(int distinctTerms) => K1 * ((1 - B) + (B * distinctTerms / AverageTerms));

    private void Score(List<(string Term, double Idf)> weighted, string userId, TopHits best)
    {
        var scores = ArrayPool<double>.Shared.Rent(Count);
        var touched = ArrayPool<int>.Shared.Rent(Count);
        try
        {
            // Every addition is positive (idf > 0 since df <= N, and f > 0), so a zero score marks a row not yet seen.
            Array.Clear(scores, 0, Count);
            var touchedCount = 0;
            foreach (var (term, idf) in weighted)
            {
                var id = _terms.IndexOf(term);
                if (id < 0)
                {
                    continue;
                }

                for (var p = _postingStarts[id]; p < _postingStarts[id + 1]; p++)
                {
                    var row = _postingRows[p];
                    var f = _postingFrequencies[p];
                    if (scores[row] == 0)
                    {
                        touched[touchedCount++] = row;
                    }

                    scores[row] += idf * f * (K1 + 1) / (f + _lengthNorms[row]);
                }
            }

            for (var i = 0; i < touchedCount; i++)
            {
                var row = touched[i];
                if (_privateOwners[row] is { } owner && !string.Equals(owner, userId, StringComparison.Ordinal))
                {
                    continue;
                }

                best.Offer(_chunkIds[row], (float)scores[row]);
            }
        }
        finally
        {
            ArrayPool<double>.Shared.Return(scores);
            ArrayPool<int>.Shared.Return(touched);
        }
    }

    // The k best (chunk id, score) pairs offered: better means a higher score, then a lower chunk id.
    private sealed class TopHits(int k)
    {
        private readonly PriorityQueue<(long ChunkId, float Score), (float Score, long ChunkId)> _heap = new(k + 1, WorstFirst.Instance);

        public void Offer(long chunkId, float score)
        {
            if (_heap.Count < k)
            {
                _heap.Enqueue((chunkId, score), (score, chunkId));
            }
            else if (_heap.TryPeek(out _, out var worst) && WorstFirst.Instance.Compare((score, chunkId), worst) > 0)
            {
                _heap.DequeueEnqueue((chunkId, score), (score, chunkId));
            }
        }

        public List<(long ChunkId, float Score)> ToList()
        {
            var hits = new List<(long ChunkId, float Score)>(_heap.Count);
            while (_heap.TryDequeue(out var hit, out _))
            {
                hits.Add(hit);
            }

            hits.Reverse();
            return hits;
        }
    }

    // Orders worse before better, so the heap's root is the worst kept hit.
    private sealed class WorstFirst : IComparer<(float Score, long ChunkId)>
    {
        public static readonly WorstFirst Instance = new();

        public int Compare((float Score, long ChunkId) x, (float Score, long ChunkId) y) =>
            x.Score != y.Score ? x.Score.CompareTo(y.Score) : y.ChunkId.CompareTo(x.ChunkId);
    }
}
