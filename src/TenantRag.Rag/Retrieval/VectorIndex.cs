using System.Numerics.Tensors;

namespace TenantRag.Rag.Retrieval;

/// <summary>
/// An immutable, in-process, exact vector index for one tenant: all vectors in one contiguous array, searched by brute
/// force (SIMD dot products, partial top-k selection). Thread-safe for any number of concurrent searches.
/// </summary>
/// <remarks>
/// Visibility is enforced inside the index: a search on behalf of a user never returns another user's private rows.
/// Build instances with <see cref="VectorIndexBuilder"/>.
/// </remarks>
public sealed class VectorIndex
{
    // Below this many floats a scan takes well under a millisecond, so splitting it across threads costs more in
    // scheduling than it saves.
    private const long ParallelThresholdFloats = 1L << 20;

    private readonly float[] _vectors;
    private readonly long[] _chunkIds;

    // Per row: the owner's ordinal if the row is private, its bitwise complement (negative) if public, so the hot
    // loop decides visibility with one integer comparison.
    private readonly int[] _visibility;
    private readonly string[] _owners;
    private readonly Dictionary<string, int> _ownerOrdinals;
    private readonly bool _hasPrivateRows;

    internal VectorIndex(
        int dimensions,
        int count,
        float[] vectors,
        long[] chunkIds,
        int[] visibility,
        string[] owners,
        Dictionary<string, int> ownerOrdinals)
    {
        Dimensions = dimensions;
        Count = count;
        _vectors = vectors;
        _chunkIds = chunkIds;
        _visibility = visibility;
        _owners = owners;
        _ownerOrdinals = ownerOrdinals;
        _hasPrivateRows = Array.Exists(visibility, static v => v >= 0);

        const long ObjectOverhead = 24;
        const long PerDictionaryEntry = 24;
        long ownerBytes = 0;
        foreach (var owner in owners)
        {
            ownerBytes += ObjectOverhead + (2L * owner.Length) + 8 + PerDictionaryEntry;
        }

        EstimatedBytes = (4 * ObjectOverhead) + 256
            + (sizeof(float) * (long)vectors.Length)
            + (sizeof(long) * (long)chunkIds.Length)
            + (sizeof(int) * (long)visibility.Length)
            + ownerBytes;
    }

    /// <summary>Gets the number of dimensions of every vector.</summary>
    public int Dimensions { get; }

    /// <summary>Gets the number of rows.</summary>
    public int Count { get; }

    /// <summary>Gets an estimate of the managed memory the index holds, in bytes (vectors dominate: 4 × rows × dimensions).</summary>
    public long EstimatedBytes { get; }

    /// <summary>Creates an index with no rows.</summary>
    /// <param name="dimensions">Number of dimensions queries must have.</param>
    /// <returns>The empty index.</returns>
    public static VectorIndex CreateEmpty(int dimensions) => new VectorIndexBuilder(dimensions).Build();

    /// <summary>Gets the chunk id of a row.</summary>
    /// <param name="row">Row number, 0 to <see cref="Count"/> - 1, in the order rows were added.</param>
    /// <returns>The chunk id.</returns>
    public long GetChunkId(int row)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)row, (uint)Count, nameof(row));
        return _chunkIds[row];
    }

    /// <summary>Gets the owner of a row.</summary>
    /// <param name="row">Row number, 0 to <see cref="Count"/> - 1.</param>
    /// <returns>The owner's user id.</returns>
    public string GetOwnerId(int row)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)row, (uint)Count, nameof(row));
        var visibility = _visibility[row];
        return _owners[visibility >= 0 ? visibility : ~visibility];
    }

    /// <summary>Gets whether a row is private to its owner.</summary>
    /// <param name="row">Row number, 0 to <see cref="Count"/> - 1.</param>
    /// <returns><see langword="true"/> if only the owner may see the row.</returns>
    public bool IsPrivate(int row)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)row, (uint)Count, nameof(row));
        return _visibility[row] >= 0;
    }

    /// <summary>Gets the stored (unit-length) vector of a row.</summary>
    /// <param name="row">Row number, 0 to <see cref="Count"/> - 1.</param>
    /// <returns>A view of the vector; it must not be modified.</returns>
    public ReadOnlySpan<float> GetVector(int row)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)row, (uint)Count, nameof(row));
        return _vectors.AsSpan(row * Dimensions, Dimensions);
    }

    /// <summary>
    /// Finds the <paramref name="k"/> rows with the highest dot product with <paramref name="query"/> among the rows
    /// <paramref name="userId"/> may see: all public rows and the private rows that user owns.
    /// </summary>
    /// <param name="query">The query vector, <see cref="Dimensions"/> long; unit length for cosine scores.</param>
    /// <param name="k">The most hits to return; 0 returns none.</param>
    /// <param name="userId">The searching user (compared ordinally with row owners).</param>
    /// <returns>
    /// Up to <paramref name="k"/> hits, best first; equal scores are ordered by row (insertion order). Exact: the same
    /// result a full scan and sort would give.
    /// </returns>
    public IReadOnlyList<VectorIndexHit> Search(ReadOnlySpan<float> query, int k, string userId)
    {
        ArgumentNullException.ThrowIfNull(userId);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (query.Length != Dimensions)
        {
            throw new ArgumentException($"The query has {query.Length} dimensions; this index holds {Dimensions}.", nameof(query));
        }

        // A NaN score compares false with everything and would silently corrupt the top-k order.
        if (!float.IsFinite(TensorPrimitives.Sum(query)) && HasNonFinite(query))
        {
            throw new ArgumentException("The query vector contains NaN or infinite values.", nameof(query));
        }

        if (k == 0 || Count == 0)
        {
            return [];
        }

        // Unknown users own nothing: -1 never equals a private row's (non-negative) owner ordinal.
        var userOrdinal = _ownerOrdinals.GetValueOrDefault(userId, -1);
        k = Math.Min(k, Count);

        var totalFloats = (long)Count * Dimensions;
        var partitions = (int)Math.Min(Environment.ProcessorCount, Math.Max(1, totalFloats / ParallelThresholdFloats));
        if (partitions <= 1)
        {
            var selection = new TopKSelection(k);
            Scan(query, 0, Count, userOrdinal, ref selection);
            return selection.ToHits(_chunkIds);
        }

        var queryCopy = query.ToArray();
        var selections = new TopKSelection[partitions];
        var rowsPerPartition = (Count + partitions - 1) / partitions;
        Parallel.For(0, partitions, partition =>
        {
            var start = partition * rowsPerPartition;
            var end = Math.Min(Count, start + rowsPerPartition);
            var selection = new TopKSelection(k);
            Scan(queryCopy, start, end, userOrdinal, ref selection);
            selections[partition] = selection;
        });

        var merged = new TopKSelection(k);
        foreach (var selection in selections)
        {
            merged.MergeFrom(selection);
        }

        return merged.ToHits(_chunkIds);
    }

    private static bool HasNonFinite(ReadOnlySpan<float> values)
    {
        foreach (var value in values)
        {
            if (!float.IsFinite(value))
            {
                return true;
            }
        }

        return false;
    }

    private void Scan(ReadOnlySpan<float> query, int start, int end, int userOrdinal, ref TopKSelection selection)
    {
        var dimensions = Dimensions;
        var vectors = _vectors.AsSpan();
        var visibility = _visibility;
        var checkVisibility = _hasPrivateRows;
        for (var row = start; row < end; row++)
        {
            if (checkVisibility)
            {
                var owner = visibility[row];
                if (owner >= 0 && owner != userOrdinal)
                {
                    continue;
                }
            }

            var score = TensorPrimitives.Dot(query, vectors.Slice(row * dimensions, dimensions));
            selection.Offer(score, row);
        }
    }
}
