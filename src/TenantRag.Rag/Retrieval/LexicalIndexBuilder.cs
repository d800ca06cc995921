using TenantRag.Retrieval;

namespace TenantRag.Rag.Retrieval;

/// <summary>
/// Collects the chunks of a <see cref="LexicalIndex"/>. Terms are interned as they arrive, so a chunk's
/// <see cref="ChunkTerms"/> can be dropped right after <see cref="Add"/>. Not thread-safe; build once, then share the
/// immutable index.
/// </summary>
public sealed class LexicalIndexBuilder
{
    private readonly Dictionary<string, int> _termIds = new(StringComparer.Ordinal);
    private readonly List<string> _terms = [];

    // Per term: the last chunk (by order added) that listed it, to refuse a term listed twice in one chunk.
    private readonly List<int> _lastRowOfTerm = [];
    private readonly List<long> _chunkIds = [];
    private readonly List<string?> _privateOwners = [];
    private readonly List<int> _distinctTerms = [];

    // Each chunk's postings, in the order added: _rowStarts[i] .. _rowStarts[i + 1] index _rowTermIds and _rowFrequencies.
    private readonly List<int> _rowStarts = [0];
    private readonly List<int> _rowTermIds = [];
    private readonly List<float> _rowFrequencies = [];

    /// <summary>Gets the number of chunks added so far.</summary>
    public int Count => _chunkIds.Count;

    /// <summary>Adds one chunk.</summary>
    /// <param name="chunk">The chunk's id, owner, visibility and terms.</param>
    /// <exception cref="ArgumentException">A term is empty or repeated, or a frequency is not a positive finite number.</exception>
    public void Add(ChunkTerms chunk)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        ArgumentNullException.ThrowIfNull(chunk.Owner, nameof(chunk));
        ArgumentNullException.ThrowIfNull(chunk.Terms, nameof(chunk));
        ArgumentOutOfRangeException.ThrowIfNegative(chunk.DistinctTerms, nameof(chunk));
        foreach (var (term, frequency) in chunk.Terms)
        {
            if (string.IsNullOrEmpty(term))
            {
                throw new ArgumentException($"Chunk {chunk.ChunkId} has an empty term.", nameof(chunk));
            }

            if (!float.IsFinite(frequency) || frequency <= 0f)
            {
                throw new ArgumentException($"Chunk {chunk.ChunkId} gives term frequency {frequency}; it must be positive and finite.", nameof(chunk));
            }
        }

        var row = _chunkIds.Count;
        var first = _rowTermIds.Count;
        foreach (var (term, frequency) in chunk.Terms)
        {
            if (!_termIds.TryGetValue(term, out var id))
            {
                id = _terms.Count;
                _termIds.Add(term, id);
                _terms.Add(term);
                _lastRowOfTerm.Add(-1);
            }

            if (_lastRowOfTerm[id] == row)
            {
                // Leave the builder as it was: this chunk's postings go (its new terms stay, unused and harmless).
                for (var p = first; p < _rowTermIds.Count; p++)
                {
                    _lastRowOfTerm[_rowTermIds[p]] = -1;
                }

                _rowTermIds.RemoveRange(first, _rowTermIds.Count - first);
                _rowFrequencies.RemoveRange(first, _rowFrequencies.Count - first);
                throw new ArgumentException($"Chunk {chunk.ChunkId} lists a term twice.", nameof(chunk));
            }

            _lastRowOfTerm[id] = row;
            _rowTermIds.Add(id);
            _rowFrequencies.Add(frequency);
        }

        _chunkIds.Add(chunk.ChunkId);
        _privateOwners.Add(chunk.IsPrivate ? chunk.Owner : null);
        _distinctTerms.Add(chunk.DistinctTerms);
        _rowStarts.Add(_rowTermIds.Count);
    }

    /// <summary>Builds the immutable index: rows in chunk id order, postings grouped by term.</summary>
    /// <returns>The index.</returns>
    /// <exception cref="InvalidOperationException">The same chunk id was added twice.</exception>
    public LexicalIndex Build()
    {
        var count = _chunkIds.Count;
        var order = new int[count];
        for (var i = 0; i < count; i++)
        {
            order[i] = i;
        }

        // Rows in chunk id order, so equal scores rank by chunk id, as the database would order them.
        var sortedIds = _chunkIds.ToArray();
        Array.Sort(sortedIds, order);
        for (var i = 1; i < count; i++)
        {
            if (sortedIds[i] == sortedIds[i - 1])
            {
                throw new InvalidOperationException($"Chunk {sortedIds[i]} was added twice.");
            }
        }

        // Terms in byte order (an index's term ids are their ranks): the index finds a term by binary search.
        var terms = SortedTerms.Sort(_terms, out var termIdOf);
        var privateOwners = new string?[count];
        var lengthNorms = new float[count];
        var postingStarts = new int[_terms.Count + 1];
        for (var row = 0; row < count; row++)
        {
            var added = order[row];
            privateOwners[row] = _privateOwners[added];
            lengthNorms[row] = LexicalIndex.LengthNorm(_distinctTerms[added]);
            for (var p = _rowStarts[added]; p < _rowStarts[added + 1]; p++)
            {
                postingStarts[termIdOf[_rowTermIds[p]] + 1]++;
            }
        }

        for (var t = 0; t < _terms.Count; t++)
        {
            postingStarts[t + 1] += postingStarts[t];
        }

        // Counting sort by term; rows are visited in order, so each term's postings are in row order.
        var postingRows = new int[_rowTermIds.Count];
        var postingFrequencies = new float[_rowTermIds.Count];
        var next = postingStarts[..^1];
        for (var row = 0; row < count; row++)
        {
            var added = order[row];
            for (var p = _rowStarts[added]; p < _rowStarts[added + 1]; p++)
            {
                var slot = next[termIdOf[_rowTermIds[p]]]++;
                postingRows[slot] = row;
                postingFrequencies[slot] = _rowFrequencies[p];
            }
        }

        return new LexicalIndex(sortedIds, privateOwners, lengthNorms, terms, postingStarts, postingRows, postingFrequencies);
    }
}
