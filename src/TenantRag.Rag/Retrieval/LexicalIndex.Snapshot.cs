namespace TenantRag.Rag.Retrieval;

public sealed partial class LexicalIndex
{
    internal const byte SnapshotKind = 2;

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
        var terms = new string[_terms.Count];
        foreach (var (term, id) in _terms)
        {
            terms[id] = term;
        }

        writer.Write(terms.Length);
        foreach (var term in terms)
        {
            writer.Write(term);
        }

        writer.Write<int>(_postingStarts);
        writer.Write<int>(_postingRows);
        writer.Write<float>(_postingFrequencies);
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
        var terms = new Dictionary<string, int>(termCount, StringComparer.Ordinal);
        for (var id = 0; id < termCount; id++)
        {
            var term = reader.ReadString();
            if (term.Length == 0 || !terms.TryAdd(term, id))
            {
                throw new InvalidDataException("the snapshot lists an empty or repeated term");
            }
        }

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

        var postingRows = reader.ReadArray<int>(postings);
        foreach (var row in postingRows)
        {
            if ((uint)row >= (uint)count)
            {
                throw new InvalidDataException("a posting of the snapshot names no row");
            }
        }

        var postingFrequencies = reader.ReadArray<float>(postings);
        foreach (var frequency in postingFrequencies)
        {
            if (!(frequency > 0f) || !float.IsFinite(frequency))
            {
                throw new InvalidDataException("a term frequency of the snapshot is not a positive number");
            }
        }

        if (!reader.AtEnd)
        {
            throw new InvalidDataException("the snapshot has bytes after its index");
        }

        return new LexicalIndex(chunkIds, privateOwners, lengthNorms, terms, postingStarts, postingRows, postingFrequencies);
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
