namespace TenantRag.Rag.Retrieval;

public sealed partial class VectorIndex
{
    internal const byte SnapshotKind = 1;

    /// <summary>
    /// Serializes the index as it is in memory: chunk ids, owners and visibility, the float vectors (exact scores stay
    /// exact) and the int8 copy with its per-row scales and norms (so reading it back quantizes nothing).
    /// </summary>
    internal byte[] ToSnapshot()
    {
        var writer = new SnapshotWriter(SnapshotKind, (int)Math.Min(int.MaxValue, EstimatedBytes));
        writer.Write(Dimensions);
        writer.Write(Count);
        writer.Write(_owners.Length);
        foreach (var owner in _owners)
        {
            writer.Write(owner);
        }

        writer.Write<long>(_chunkIds.AsSpan(0, Count));
        writer.Write<int>(_visibility.AsSpan(0, Count));
        writer.Write<float>(_vectors.AsSpan(0, Count * Dimensions));
        writer.Write(_quantized is null ? 0 : _quantizedStride);
        if (_quantized is not null)
        {
            writer.Write<sbyte>(_quantized.AsSpan(0, Count * _quantizedStride));
            writer.Write<float>(_rowScales.AsSpan(0, Count));
            writer.Write<float>(_rowResidualNorms.AsSpan(0, Count));
            writer.Write<float>(_rowQuantizedNorms.AsSpan(0, Count));
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

        var vectors = reader.ReadArray<float>((long)count * dimensions);
        var stride = reader.ReadInt32();
        QuantizedRows? quantized = null;
        if (stride != 0)
        {
            if (stride != (dimensions + QuantizedDot.Granularity - 1) / QuantizedDot.Granularity * QuantizedDot.Granularity)
            {
                throw new InvalidDataException($"the snapshot's int8 rows are {stride} long");
            }

            quantized = new QuantizedRows(reader.ReadArray<sbyte>((long)count * stride), stride,
                reader.ReadArray<float>(count), reader.ReadArray<float>(count), reader.ReadArray<float>(count));
        }

        if (!reader.AtEnd)
        {
            throw new InvalidDataException("the snapshot has bytes after its index");
        }

        return new VectorIndex(dimensions, count, vectors, chunkIds, visibility, owners, ordinals, quantized);
    }

    // The int8 copy of the vectors and what its error bound needs, as the constructor keeps them.
    private sealed record QuantizedRows(sbyte[] Rows, int Stride, float[] Scales, float[] ResidualNorms, float[] QuantizedNorms);
}
