namespace TenantRag.Rag.Retrieval;

/// <summary>
/// Keeps the k best (score, row) pairs seen so far in a binary min-heap whose root is the worst kept pair, so each
/// offer that does not beat the root costs one comparison. Better means higher score, then lower row.
/// </summary>
internal struct TopKSelection
{
    private readonly float[] _scores;
    private readonly int[] _rows;
    private int _count;

    public TopKSelection(int k)
    {
        _scores = new float[k];
        _rows = new int[k];
        _count = 0;
    }

    public readonly int Count => _count;

    public readonly int Capacity => _scores.Length;

    public void Offer(float score, int row)
    {
        if (_count < _scores.Length)
        {
            SiftUp(_count++, score, row);
        }
        else if (IsBetter(score, row, _scores[0], _rows[0]))
        {
            SiftDown(0, score, row);
        }
    }

    public readonly VectorIndexHit[] ToHits(long[] chunkIds)
    {
        var order = new (float Score, int Row)[_count];
        for (var i = 0; i < _count; i++)
        {
            order[i] = (_scores[i], _rows[i]);
        }

        Array.Sort(order, static (a, b) => IsBetter(a.Score, a.Row, b.Score, b.Row) ? -1 : IsBetter(b.Score, b.Row, a.Score, a.Row) ? 1 : 0);
        var hits = new VectorIndexHit[_count];
        for (var i = 0; i < hits.Length; i++)
        {
            hits[i] = new VectorIndexHit(chunkIds[order[i].Row], order[i].Score);
        }

        return hits;
    }

    private static bool IsBetter(float score, int row, float otherScore, int otherRow) =>
        score > otherScore || (score == otherScore && row < otherRow);

    private readonly void SiftUp(int index, float score, int row)
    {
        while (index > 0)
        {
            var parent = (index - 1) >> 1;
            if (!IsBetter(_scores[parent], _rows[parent], score, row))
            {
                break;
            }

            _scores[index] = _scores[parent];
            _rows[index] = _rows[parent];
            index = parent;
        }

        _scores[index] = score;
        _rows[index] = row;
    }

    private readonly void SiftDown(int index, float score, int row)
    {
        var count = _count;
        while (true)
        {
            var child = (2 * index) + 1;
            if (child >= count)
            {
                break;
            }

            // Pick the worse child: it must become the parent to keep the worst pair at the root.
            if (child + 1 < count && IsBetter(_scores[child], _rows[child], _scores[child + 1], _rows[child + 1]))
            {
                child++;
            }

            if (!IsBetter(score, row, _scores[child], _rows[child]))
            {
                break;
            }

            _scores[index] = _scores[child];
            _rows[index] = _rows[child];
            index = child;
        }

        _scores[index] = score;
        _rows[index] = row;
    }
}
