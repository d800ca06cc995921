namespace TenantRag.Rag.Retrieval;

/// <summary>
/// Keeps the k largest lower bounds seen so far in a min-heap; <see cref="Floor"/> is the k-th largest, below which
/// no row can be among the top k (since k rows are already known to score at least that much).
/// </summary>
internal struct LowerBoundSelection
{
    private readonly double[] _heap;
    private int _count;

    public LowerBoundSelection(int k)
    {
        _heap = new double[k];
        _count = 0;
    }

    /// <summary>Gets the k-th largest lower bound, or negative infinity while fewer than k were offered.</summary>
    public readonly double Floor => _count == _heap.Length ? _heap[0] : double.NegativeInfinity;

    public void Offer(double value)
    {
        if (_count < _heap.Length)
        {
            var index = _count++;
            while (index > 0)
            {
                var parent = (index - 1) >> 1;
                if (_heap[parent] <= value)
                {
                    break;
                }

                _heap[index] = _heap[parent];
                index = parent;
            }

            _heap[index] = value;
            return;
        }

        if (value <= _heap[0])
        {
            return;
        }

        var position = 0;
        while (true)
        {
            var child = (2 * position) + 1;
            if (child >= _count)
            {
                break;
            }

            if (child + 1 < _count && _heap[child + 1] < _heap[child])
            {
                child++;
            }

            if (_heap[child] >= value)
            {
                break;
            }

            _heap[position] = _heap[child];
            position = child;
        }

        _heap[position] = value;
    }
}
