using System.Numerics.Tensors;

namespace TenantRag.Rag.Retrieval;

public sealed partial class LexicalIndex
{
    internal const byte SnapshotKind = 2;

    // The most distinct term frequencies written as a table and a byte per posting.
    private const int FrequencyTableSize = 256;

    /// <summary>Serializes the index as it is in memory: rows (chunk ids, private owners, length norms), terms and postings.</summary>
    internal byte[] ToSnapshot()
    {
        var writer = new SnapshotWriter(SnapshotKind, (int)Math.Min(int.MaxValue, EstimatedBytes));
        writer.Write(Count);
        writer.Write<long>(_chunkIds);
        var owners = new Dictionary<string, int>(StringComparer.Ordinal);
        var ownerOfRow = new int[Count];
        for (var row = 0; row < Count; row++)
        {
            ownerOfRow[row] = _privateOwners[row] is { } owner ? OrdinalOf(owners, owner) : -1;
        }

        writer.Write(owners.Count);
        foreach (var owner in owners.Keys)
        {
            writer.Write(owner);
        }

        writer.Write<int>(ownerOfRow);
        writer.Write<float>(_lengthNorms);
        writer.Write(_terms.Count);
        writer.Write<int>(_terms.Starts);
        writer.Write<byte>(_terms.Utf8);
        writer.Write<int>(_postingStarts);

        // Rows as 16-bit numbers when every row fits (a partition of up to 65,536 chunks): half the bytes to read.
        if (Count <= ushort.MaxValue + 1)
        {
            writer.Write(sizeof(ushort));
            var narrow = new ushort[_postingRows.Length];
            TensorPrimitives.ConvertTruncating<int, ushort>(_postingRows, narrow);
            writer.Write<ushort>(narrow);
        }
        else
        {
            writer.Write(sizeof(int));
            writer.Write<int>(_postingRows);
        }

        // Term frequencies take few distinct values (counts times a handful of weights): a table and a byte each.
        var table = _postingFrequencies.Distinct().Take(FrequencyTableSize + 1).ToArray();
        if (table.Length <= FrequencyTableSize)
        {
            writer.Write(table.Length);
            writer.Write<float>(table);
            var slots = table.Select((value, slot) => (value, slot)).ToDictionary(e => e.value, e => (byte)e.slot);
            writer.Write<byte>(Array.ConvertAll(_postingFrequencies, f => slots[f]));
        }
        else
        {
            writer.Write(0);
            writer.Write<float>(_postingFrequencies);
        }

        return writer.ToArray();
    }

    /// <summary>Reads an index written by <see cref="ToSnapshot"/>; throws <see cref="InvalidDataException"/> for anything else.</summary>
    internal static LexicalIndex FromSnapshot(ReadOnlySpan<byte> snapshot)
    {
        var reader = new SnapshotReader(snapshot, SnapshotKind);
        var count = reader.ReadCount(Array.MaxLength);
        var chunkIds = reader.ReadArray<long>(count);
        for (var row = 1; row < count; row++)
        {
            if (chunkIds[row] <= chunkIds[row - 1])
            {
                throw new InvalidDataException("the snapshot's rows are not in chunk id order");
            }
        }

        var owners = new string[reader.ReadCount(count)];
        for (var i = 0; i < owners.Length; i++)
        {
            owners[i] = reader.ReadString();
        }

        var privateOwners = new string?[count];
        var ownerOfRow = reader.ReadArray<int>(count);
        for (var row = 0; row < count; row++)
        {
            var owner = ownerOfRow[row];
            privateOwners[row] = owner == -1 ? null
                : (uint)owner < (uint)owners.Length ? owners[owner] : throw new InvalidDataException("a row of the snapshot names no owner");
        }

        var lengthNorms = reader.ReadArray<float>(count);
        foreach (var norm in lengthNorms)
        {
            if (!(norm > 0f) || !float.IsFinite(norm))
            {
                throw new InvalidDataException("a length norm of the snapshot is not a positive number");
            }
        }

        var termCount = reader.ReadCount(Array.MaxLength - 1);
        var termStarts = reader.ReadArray<int>(termCount + 1L);
        var terms = SortedTerms.Read(reader.ReadArray<byte>(termStarts[^1]), termStarts);
        var postingStarts = reader.ReadArray<int>(termCount + 1L);
        var postings = postingStarts[^1];
        if (postingStarts[0] != 0 || postings < 0)
        {
            throw new InvalidDataException("the snapshot's postings do not start at 0");
        }

        for (var t = 0; t < termCount; t++)
        {
            if (postingStarts[t + 1] < postingStarts[t])
            {
                throw new InvalidDataException("the snapshot's postings go backwards");
            }
        }

        var postingRows = ReadRows(ref reader, postings, count);
        var postingFrequencies = ReadFrequencies(ref reader, postings);
        if (!reader.AtEnd)
        {
            throw new InvalidDataException("the snapshot has bytes after its index");
        }

        return new LexicalIndex(chunkIds, privateOwners, lengthNorms, terms, postingStarts, postingRows, postingFrequencies);
    }

    private static int[] ReadRows(ref SnapshotReader reader, int postings, int count)
    {
        var width = reader.ReadInt32();
        int[] rows;
        if (width == sizeof(ushort) && count <= ushort.MaxValue + 1)
        {
            var narrow = reader.ReadArray<ushort>(postings);
            rows = new int[postings];
            TensorPrimitives.ConvertChecked<ushort, int>(narrow, rows);
        }
        else if (width == sizeof(int))
        {
            rows = reader.ReadArray<int>(postings);
            if (postings > 0 && TensorPrimitives.Min<int>(rows) < 0)
            {
                throw new InvalidDataException("a posting of the snapshot names no row");
            }
        }
        else
        {
            throw new InvalidDataException($"the snapshot's rows are {width} bytes wide");
        }

        if (postings > 0 && TensorPrimitives.Max<int>(rows) >= count)
        {
            throw new InvalidDataException("a posting of the snapshot names no row");
        }

        return rows;
    }

    private static float[] ReadFrequencies(ref SnapshotReader reader, int postings)
    {
        var tableSize = reader.ReadCount(FrequencyTableSize);
        var frequencies = tableSize == 0 ? reader.ReadArray<float>(postings) : reader.ReadArray<float>(tableSize);
        foreach (var frequency in frequencies)
        {
            if (!(frequency > 0f) || !float.IsFinite(frequency))
            {
                throw new InvalidDataException("a term frequency of the snapshot is not a positive number");
            }
        }

        if (tableSize == 0)
        {
            return frequencies;
        }

        var slots = reader.ReadArray<byte>(postings);
        if (postings > 0 && TensorPrimitives.Max<byte>(slots) >= tableSize)
        {
            throw new InvalidDataException("a term frequency of the snapshot is not in its table");
        }

        var expanded = new float[postings];
        for (var p = 0; p < expanded.Length; p++)
        {
            expanded[p] = frequencies[slots[p]];
        }

        return expanded;
    }

    private static int OrdinalOf(Dictionary<string, int> ordinals, string key)
    {
        if (!ordinals.TryGetValue(key, out var ordinal))
        {
            ordinal = ordinals.Count;
            ordinals.Add(key, ordinal);
        }

        return ordinal;
    }
}
