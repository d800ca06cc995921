using System.Numerics.Tensors;

namespace TenantRag.Rag.Retrieval;

/// <summary>
/// Collects the rows of a <see cref="VectorIndex"/>. Not thread-safe; build once, then share the immutable index.
/// </summary>
public sealed class VectorIndexBuilder
{
    // Vectors within this distance of unit length are stored as they are, so values read back from the database
    // (already normalised, give or take float rounding) are not perturbed.
    private const float UnitTolerance = 1e-4f;

    private readonly Dictionary<string, int> _ownerOrdinals = new(StringComparer.Ordinal);
    private readonly List<string> _owners = [];
    private float[] _vectors;
    private long[] _chunkIds;
    private int[] _visibility;

    /// <summary>Creates an empty builder.</summary>
    /// <param name="dimensions">Number of dimensions of every vector, at least 1.</param>
    /// <param name="capacity">Expected number of rows, to avoid regrowing; 0 if unknown.</param>
    public VectorIndexBuilder(int dimensions, int capacity = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((long)capacity * dimensions, Array.MaxLength);
        Dimensions = dimensions;
        _vectors = new float[(long)capacity * dimensions];
        _chunkIds = new long[capacity];
        _visibility = new int[capacity];
    }

    /// <summary>Gets the number of dimensions of every vector.</summary>
    public int Dimensions { get; }

    /// <summary>Gets the number of rows added so far.</summary>
    public int Count { get; private set; }

    /// <summary>Adds one row.</summary>
    /// <param name="chunkId">The chunk the vector belongs to; returned in search hits.</param>
    /// <param name="ownerId">The user who owns the chunk (compared ordinally with the searching user).</param>
    /// <param name="isPrivate">
    /// <see langword="true"/> if only <paramref name="ownerId"/> may see the chunk; <see langword="false"/> if every
    /// user of the tenant may.
    /// </param>
    /// <param name="vector">
    /// The chunk's embedding, <see cref="Dimensions"/> long. It is scaled to unit length if it is not already, so that
    /// scores are cosine similarities.
    /// </param>
    /// <exception cref="ArgumentException">The vector has the wrong length, is all zeros, or is not finite.</exception>
    public void Add(long chunkId, string ownerId, bool isPrivate, ReadOnlySpan<float> vector)
    {
        ArgumentNullException.ThrowIfNull(ownerId);
        if (vector.Length != Dimensions)
        {
            throw new ArgumentException($"The vector has {vector.Length} dimensions; this index holds {Dimensions}.", nameof(vector));
        }

        var norm = TensorPrimitives.Norm(vector);
        if (!float.IsFinite(norm) || norm == 0f)
        {
            throw new ArgumentException($"The vector of chunk {chunkId} is {(norm == 0f ? "all zeros" : "not finite")}.", nameof(vector));
        }

        EnsureCapacity(Count + 1);
        var destination = _vectors.AsSpan(Count * Dimensions, Dimensions);
        if (Math.Abs(norm - 1f) <= UnitTolerance)
        {
            vector.CopyTo(destination);
        }
        else
        {
            TensorPrimitives.Divide(vector, norm, destination);
        }

        if (!_ownerOrdinals.TryGetValue(ownerId, out var ordinal))
        {
            ordinal = _owners.Count;
            _owners.Add(ownerId);
            _ownerOrdinals.Add(ownerId, ordinal);
        }

        _chunkIds[Count] = chunkId;
        _visibility[Count] = isPrivate ? ordinal : ~ordinal;
        Count++;
    }

    /// <summary>
    /// Creates the index from the rows added so far. The builder can keep being used afterwards; the index does not
    /// see later additions.
    /// </summary>
    /// <returns>The immutable index.</returns>
    public VectorIndex Build()
    {
        // When the arrays are exactly full they are handed over instead of copied (the vectors can be hundreds of MB):
        // the next Add has to grow them, which copies into new arrays and leaves the index's untouched.
        var exact = Count == _chunkIds.Length;
        return new VectorIndex(
            Dimensions,
            Count,
            exact ? _vectors : _vectors.AsSpan(0, Count * Dimensions).ToArray(),
            exact ? _chunkIds : _chunkIds.AsSpan(0, Count).ToArray(),
            exact ? _visibility : _visibility.AsSpan(0, Count).ToArray(),
            [.. _owners],
            new Dictionary<string, int>(_ownerOrdinals, StringComparer.Ordinal));
    }

    private void EnsureCapacity(int rows)
    {
        if (rows <= _chunkIds.Length)
        {
            return;
        }

        var maxRows = Array.MaxLength / Dimensions;
        if (rows > maxRows)
        {
            throw new InvalidOperationException($"A single index holds at most {maxRows} vectors of {Dimensions} dimensions.");
        }

        var newRows = (int)Math.Clamp(Math.Max(16L, _chunkIds.Length * 2L), rows, maxRows);
        Array.Resize(ref _vectors, newRows * Dimensions);
        Array.Resize(ref _chunkIds, newRows);
        Array.Resize(ref _visibility, newRows);
    }
}
