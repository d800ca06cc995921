using System.Numerics.Tensors;

namespace TenantRag.Rag.Retrieval;

public sealed partial class VectorIndex
{
    internal const byte SnapshotKind = 1;

    /// <summary>
    /// Serializes the index compactly: chunk ids, owners and visibility, and each vector as int8 with its scale (a
    /// quarter of the float size, so a cold tenant reads and copies a quarter of the bytes).
    /// </summary>
    /// <remarks>
    /// An index read back holds the vectors as the int8 values times their scale: every score it gives is within the
    /// quantization's error (|e_x| about 0.01 for a unit vector of 384 dimensions, a cosine error of about 5e-4 for a
    /// typical query) of the original index's. It searches them exactly, as the original searches its floats.
    /// </remarks>
    internal byte[] ToSnapshot()
    {
        var quantized = _quantized;
        var stride = _quantizedStride;
        var scales = _rowScales;
        if (quantized is null)
        {
            // A small index keeps no int8 copy; one is made for the snapshot only.
            stride = (Dimensions + QuantizedDot.Granularity - 1) / QuantizedDot.Granularity * QuantizedDot.Granularity;
            quantized = new sbyte[(long)Count * stride];
            scales = new float[Count];
            for (var row = 0; row < Count; row++)
            {
                scales[row] = Quantize(GetVector(row), quantized.AsSpan(row * stride, stride), out _, out _);
            }
        }

        var writer = new SnapshotWriter(SnapshotKind, (Count * (Dimensions + 16)) + 1024);
        writer.Write(Dimensions);
        writer.Write(Count);
        writer.Write(_owners.Length);
        foreach (var owner in _owners)
        {
            writer.Write(owner);
        }

        writer.Write<long>(_chunkIds.AsSpan(0, Count));
        writer.Write<int>(_visibility.AsSpan(0, Count));
        writer.Write<float>(scales.AsSpan(0, Count));
        for (var row = 0; row < Count; row++)
        {
            writer.Write<sbyte>(quantized.AsSpan(row * stride, Dimensions));
        }

        return writer.ToArray();
    }

    /// <summary>Reads an index written by <see cref="ToSnapshot"/>; throws <see cref="InvalidDataException"/> for anything else.</summary>
    internal static VectorIndex FromSnapshot(ReadOnlySpan<byte> snapshot, int dimensions)
    {
        var reader = new SnapshotReader(snapshot, SnapshotKind);
        if (reader.ReadInt32() != dimensions)
        {
            throw new InvalidDataException($"the snapshot's vectors do not have {dimensions} dimensions");
        }

        var count = reader.ReadCount(Array.MaxLength / dimensions);
        var owners = new string[reader.ReadCount(count)];
        var ordinals = new Dictionary<string, int>(owners.Length, StringComparer.Ordinal);
        for (var i = 0; i < owners.Length; i++)
        {
            owners[i] = reader.ReadString();
            if (!ordinals.TryAdd(owners[i], i))
            {
                throw new InvalidDataException("the snapshot lists an owner twice");
            }
        }

        var chunkIds = reader.ReadArray<long>(count);
        var visibility = reader.ReadArray<int>(count);
        foreach (var owner in visibility)
        {
            if ((owner >= 0 ? owner : ~owner) >= owners.Length)
            {
                throw new InvalidDataException("a row of the snapshot names no owner");
            }
        }

        var scales = reader.ReadArray<float>(count);
        foreach (var scale in scales)
        {
            // Negative when a row's largest component is (MaxMagnitude keeps the sign); never zero: no vector is all zeros.
            if (scale == 0f || !float.IsFinite(scale))
            {
                throw new InvalidDataException("a vector scale of the snapshot is zero or not finite");
            }
        }

        var levels = reader.ReadArray<sbyte>((long)count * dimensions);
        if (!reader.AtEnd)
        {
            throw new InvalidDataException("the snapshot has bytes after its index");
        }

        // The vectors are the int8 levels times their scale, so the int8 copy is exact but for the float rounding of each
        // product: |fl(l × s) − l × s| ≤ 2^-24 × |l × s| per component, so the residual's norm is at most 2^-24 times the
        // quantized row's norm, which is |s| × sqrt(Σ l²) with Σ l² an exact integer. The search's error bound needs only
        // upper bounds of both; computing them so instead of component by component keeps the decoding memory-bound.
        // The float vectors are not made here: the index computes a row's products when its second pass scores it, so a
        // cold load allocates and writes the int8 copy alone (a fifth of the bytes) and the cache holds a fifth as much.
        var stride = (dimensions + QuantizedDot.Granularity - 1) / QuantizedDot.Granularity * QuantizedDot.Granularity;
        var quantized = new sbyte[(long)count * stride];
        var residualNorms = new float[count];
        var quantizedNorms = new float[count];
        Span<short> wide = stackalloc short[stride];
        for (var row = 0; row < count; row++)
        {
            var source = levels.AsSpan(row * dimensions, dimensions);
            if (source.Contains(sbyte.MinValue))
            {
                throw new InvalidDataException("a vector of the snapshot holds an int8 level out of range");
            }

            var padded = quantized.AsSpan(row * stride, stride);
            source.CopyTo(padded);
            TensorPrimitives.ConvertChecked<sbyte, short>(padded, wide);
            var quantizedSquares = (double)scales[row] * scales[row] * QuantizedDot.Dot(wide, padded);
            quantizedNorms[row] = RoundedUpNorm(quantizedSquares);
            residualNorms[row] = RoundedUpNorm(quantizedSquares * FloatRoundingSquared);
        }

        return new VectorIndex(dimensions, count, null, chunkIds, visibility, owners, ordinals,
            new QuantizedRows(quantized, stride, scales, residualNorms, quantizedNorms));
    }

    // (2^-24)²: the squared relative error of rounding a product to float (round to nearest).
    private const double FloatRoundingSquared = 1.0 / (1L << 48);

    // The int8 copy of the vectors and what its error bound needs, as the constructor keeps them.
    private sealed record QuantizedRows(sbyte[] Rows, int Stride, float[] Scales, float[] ResidualNorms, float[] QuantizedNorms);
}
