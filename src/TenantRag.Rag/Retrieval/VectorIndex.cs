using System.Numerics.Tensors;

namespace TenantRag.Rag.Retrieval;

/// <summary>
/// An immutable, in-process, exact vector index for one tenant: all vectors in one contiguous array, searched by brute
/// force with partial top-k selection. Thread-safe for any number of concurrent searches.
/// </summary>
/// <remarks>
/// <para>
/// Visibility is enforced inside the index: a search on behalf of a user never returns another user's private rows.
/// Build instances with <see cref="VectorIndexBuilder"/>.
/// </para>
/// <para>
/// Results are exact: identical to scoring every visible row with a float dot product and sorting. Indexes of
/// <see cref="QuantizationMinRows"/> rows or more also keep an int8 copy of the vectors (a quarter of the float size):
/// the search first scans that copy, which gives every row's score within a proven error bound, and then computes
/// exact float scores only for the rows whose upper bound can still reach the top k. Scanning a quarter of the bytes
/// makes large searches several times faster, since a full float scan is limited by memory bandwidth.
/// </para>
/// </remarks>
public sealed partial class VectorIndex : IRetrievalIndex
{
    /// <summary>Indexes with at least this many rows keep an int8 copy of their vectors for a faster first pass.</summary>
    public const int QuantizationMinRows = 4096;

    private const int Int8Max = 127;

    // The rows' vectors; null for an index read from a snapshot, whose rows are their int8 levels times their scale
    // (RowVector makes one when it is needed: the second pass scores a few hundred rows, not all of them).
    private readonly float[]? _vectors;
    private readonly long[] _chunkIds;

    // Per row: the owner's ordinal if the row is private, its bitwise complement (negative) if public, so the hot
    // loop decides visibility with one integer comparison.
    private readonly int[] _visibility;
    private readonly string[] _owners;
    private readonly Dictionary<string, int> _ownerOrdinals;
    private readonly bool _hasPrivateRows;

    // The int8 copy (rows zero-padded to _quantizedStride) and, per row, its scale and the two norms the error bound
    // needs; all null below QuantizationMinRows.
    private readonly sbyte[]? _quantized;
    private readonly int _quantizedStride;
    private readonly float[]? _rowScales;
    private readonly float[]? _rowResidualNorms;
    private readonly float[]? _rowQuantizedNorms;

    internal VectorIndex(
        int dimensions,
        int count,
        float[] vectors,
        long[] chunkIds,
        int[] visibility,
        string[] owners,
        Dictionary<string, int> ownerOrdinals)
        : this(dimensions, count, vectors, chunkIds, visibility, owners, ownerOrdinals, null)
    {
    }

    // With the int8 copy already made (read from a snapshot), or null to make it here when the index is large enough.
    private VectorIndex(
        int dimensions,
        int count,
        float[]? vectors,
        long[] chunkIds,
        int[] visibility,
        string[] owners,
        Dictionary<string, int> ownerOrdinals,
        QuantizedRows? quantized)
    {
        Dimensions = dimensions;
        Count = count;
        _vectors = vectors;
        _chunkIds = chunkIds;
        _visibility = visibility;
        _owners = owners;
        _ownerOrdinals = ownerOrdinals;
        _hasPrivateRows = Array.Exists(visibility, static v => v >= 0);
        if (quantized is not null)
        {
            (_quantized, _quantizedStride, _rowScales, _rowResidualNorms, _rowQuantizedNorms) = quantized;
        }
        else if (count >= QuantizationMinRows)
        {
            _quantizedStride = (dimensions + QuantizedDot.Granularity - 1) / QuantizedDot.Granularity * QuantizedDot.Granularity;
            _quantized = new sbyte[(long)count * _quantizedStride];
            _rowScales = new float[count];
            _rowResidualNorms = new float[count];
            _rowQuantizedNorms = new float[count];
            for (var row = 0; row < count; row++)
            {
                QuantizeRow(row);
            }
        }

        const long ObjectOverhead = 24;
        const long PerDictionaryEntry = 24;
        long ownerBytes = 0;
        foreach (var owner in owners)
        {
            ownerBytes += ObjectOverhead + (2L * owner.Length) + 8 + PerDictionaryEntry;
        }

        EstimatedBytes = (4 * ObjectOverhead) + 256
            + (sizeof(float) * (vectors?.LongLength ?? 0))
            + (sizeof(long) * (long)chunkIds.Length)
            + (sizeof(int) * (long)visibility.Length)
            + (_quantized?.LongLength ?? 0)
            + (3L * sizeof(float) * (_rowScales?.Length ?? 0))
            + ownerBytes;
    }

    /// <summary>Gets the number of dimensions of every vector.</summary>
    public int Dimensions { get; }

    /// <summary>Gets the number of rows.</summary>
    public int Count { get; }

    /// <summary>Gets an estimate of the managed memory the index holds, in bytes (vectors dominate: 4 × rows × dimensions).</summary>
    public long EstimatedBytes { get; }

    /// <summary>Gets whether any row is private to its owner (a tenant-wide partition must hold none).</summary>
    internal bool HasPrivateRows => _hasPrivateRows;

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
        return RowVector(row, Scratch());
    }

    // Room for RowVector to make a row's vector in: none when the vectors are stored.
    private float[] Scratch() => _vectors is null ? new float[Dimensions] : [];

    // A row's vector: the stored one, or for an index read from a snapshot its int8 levels times its scale, computed into
    // scratch (see Scratch), the same rounded products each time.
    private ReadOnlySpan<float> RowVector(int row, Span<float> scratch)
    {
        if (_vectors is not null)
        {
            return _vectors.AsSpan(row * Dimensions, Dimensions);
        }

        var vector = scratch[..Dimensions];
        TensorPrimitives.ConvertChecked<sbyte, float>(_quantized.AsSpan(row * _quantizedStride, Dimensions), vector);
        TensorPrimitives.Multiply(vector, _rowScales![row], vector);
        return vector;
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
        var selection = new TopKSelection(k);
        if (_quantized is null || !TrySearchQuantized(query, userOrdinal, ref selection))
        {
            SearchExhaustive(query, userOrdinal, ref selection);
        }

        return selection.ToHits(_chunkIds);
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

    private bool IsVisible(int row, int userOrdinal)
    {
        var owner = _visibility[row];
        return owner < 0 || owner == userOrdinal;
    }

    private void SearchExhaustive(ReadOnlySpan<float> query, int userOrdinal, ref TopKSelection selection)
    {
        var scratch = Scratch();
        for (var row = 0; row < Count; row++)
        {
            if (_hasPrivateRows && !IsVisible(row, userOrdinal))
            {
                continue;
            }

            selection.Offer(TensorPrimitives.Dot(query, RowVector(row, scratch)), row);
        }
    }

    // Pass 1 bounds every visible row's exact score from the int8 copy: exact ∈ [approx - bound, approx + bound].
    // The k-th best lower bound seen so far is a floor the final k-th score cannot fall below, so only rows whose upper
    // bound reaches it are kept. Pass 2 scores those rows exactly, with the same float kernel as the exhaustive scan.
    private bool TrySearchQuantized(ReadOnlySpan<float> query, int userOrdinal, ref TopKSelection selection)
    {
        var stride = _quantizedStride;
        var quantizedQuery = new short[stride];
        var queryScale = QuantizeQuery(query, quantizedQuery, out var queryNorm, out var queryResidualNorm);
        if (queryScale == 0)
        {
            return false;
        }

        // Covers float rounding of the exact scores pass 2 computes (at most about D × 2^-24 × |q| × |x| for a dot
        // product of length D, doubled for safety); the approximate scores are computed exactly in integers and doubles.
        var roundingMargin = Dimensions * Math.ScaleB(1.0, -22) * queryNorm;

        var quantized = _quantized.AsSpan();
        var scales = _rowScales!;
        var residualNorms = _rowResidualNorms!;
        var quantizedNorms = _rowQuantizedNorms!;
        var floors = new LowerBoundSelection(selection.Capacity);
        var candidates = new List<(int Row, double Upper)>();
        for (var row = 0; row < Count; row++)
        {
            if (_hasPrivateRows && !IsVisible(row, userOrdinal))
            {
                continue;
            }

            var dot = QuantizedDot.Dot(quantizedQuery, quantized.Slice(row * stride, stride));
            var approximate = (double)scales[row] * queryScale * dot;

            // |x·q - x̃·q̃| ≤ |e_x|·|q| + |x̃|·|e_q| (Cauchy-Schwarz on both quantization residuals).
            var bound = (residualNorms[row] * queryNorm) + (quantizedNorms[row] * queryResidualNorm) + roundingMargin;
            var upper = approximate + bound;
            if (upper < floors.Floor)
            {
                continue;
            }

            candidates.Add((row, upper));
            floors.Offer(approximate - bound);
        }

        var floor = floors.Floor;
        var scratch = Scratch();
        foreach (var (row, upper) in candidates)
        {
            if (upper >= floor)
            {
                selection.Offer(TensorPrimitives.Dot(query, RowVector(row, scratch)), row);
            }
        }

        return true;
    }

    // Symmetric int16 quantization of the query, scaled so no int8 × int16 dot product of a row can overflow int32.
    private double QuantizeQuery(ReadOnlySpan<float> query, Span<short> quantized, out double norm, out double residualNorm)
    {
        var maxAbs = (double)TensorPrimitives.MaxMagnitude(query);
        var sumOfSquares = 0.0;
        foreach (var value in query)
        {
            sumOfSquares += (double)value * value;
        }

        norm = Math.Sqrt(sumOfSquares);
        residualNorm = 0;
        if (maxAbs == 0)
        {
            return 0;
        }

        var limit = Math.Min(short.MaxValue, int.MaxValue / (Int8Max * _quantizedStride));
        var scale = maxAbs / limit;
        var residualSquares = 0.0;
        for (var i = 0; i < query.Length; i++)
        {
            var level = Math.Clamp(Math.Round(query[i] / scale), -limit, limit);
            quantized[i] = (short)level;
            var residual = query[i] - (level * scale);
            residualSquares += residual * residual;
        }

        // Rounded up a little so the bound stays an upper bound despite the rounding of this very computation.
        residualNorm = Math.Sqrt(residualSquares) * (1 + 1e-9);
        return scale;
    }

    private void QuantizeRow(int row)
    {
        _rowScales![row] = Quantize(_vectors!.AsSpan(row * Dimensions, Dimensions), _quantized.AsSpan(row * _quantizedStride, _quantizedStride),
            out _rowResidualNorms![row], out _rowQuantizedNorms![row]);
    }

    // Symmetric int8 quantization of one row with its own scale; the norms come rounded up, so they stay upper bounds.
    private static float Quantize(ReadOnlySpan<float> vector, Span<sbyte> target, out float residualNorm, out float quantizedNorm)
    {
        var maxAbs = TensorPrimitives.MaxMagnitude(vector);
        var scale = maxAbs / Int8Max;
        double residualSquares = 0, quantizedSquares = 0;
        for (var i = 0; i < vector.Length; i++)
        {
            var level = Math.Clamp((int)MathF.Round(vector[i] / scale), -Int8Max, Int8Max);
            target[i] = (sbyte)level;
            var reconstructed = (double)scale * level;
            var residual = vector[i] - reconstructed;
            residualSquares += residual * residual;
            quantizedSquares += reconstructed * reconstructed;
        }

        residualNorm = RoundedUpNorm(residualSquares);
        quantizedNorm = RoundedUpNorm(quantizedSquares);
        return scale;
    }

    // A norm stored rounded up (one float step plus a relative margin) so it stays an upper bound in float.
    private static float RoundedUpNorm(double sumOfSquares) => MathF.BitIncrement((float)(Math.Sqrt(sumOfSquares) * (1 + 1e-6)));
}
