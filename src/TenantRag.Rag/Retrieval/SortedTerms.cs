using System.Buffers;
using System.Text;

namespace TenantRag.Rag.Retrieval;

/// <summary>
/// A <see cref="LexicalIndex"/>'s terms: their UTF-8 bytes back to back in byte order, a term's id its position, found
/// by binary search. Immutable and thread-safe. One array of bytes and one of offsets instead of a string and a
/// dictionary entry per term: a tenth of the memory, and a snapshot's terms are used as read, without decoding a string.
/// </summary>
internal sealed class SortedTerms
{
    private const int StackLimit = 256;

    private readonly byte[] _utf8;
    private readonly int[] _starts;

    private SortedTerms(byte[] utf8, int[] starts)
    {
        _utf8 = utf8;
        _starts = starts;
    }

    /// <summary>Gets the number of terms.</summary>
    public int Count => _starts.Length - 1;

    /// <summary>Gets an estimate of the managed memory held, in bytes.</summary>
    public long EstimatedBytes => 48 + _utf8.Length + (sizeof(int) * (long)_starts.Length);

    /// <summary>The bytes, back to back (written to a snapshot as they are).</summary>
    public ReadOnlySpan<byte> Utf8 => _utf8;

    /// <summary>Where each term starts in <see cref="Utf8"/>, and its end after the last.</summary>
    public ReadOnlySpan<int> Starts => _starts;

    /// <summary>Sorts <paramref name="terms"/> (distinct, non-empty) by their UTF-8 bytes.</summary>
    /// <param name="terms">The terms, by their ids so far.</param>
    /// <param name="idOf">Each term's new id (its rank), by its id so far.</param>
    public static SortedTerms Sort(IReadOnlyList<string> terms, out int[] idOf)
    {
        var encoded = new byte[terms.Count][];
        var order = new int[terms.Count];
        long total = 0;
        for (var i = 0; i < terms.Count; i++)
        {
            encoded[i] = Encoding.UTF8.GetBytes(terms[i]);
            order[i] = i;
            total += encoded[i].Length;
        }

        Array.Sort(order, (a, b) => encoded[a].AsSpan().SequenceCompareTo(encoded[b]));
        for (var rank = 1; rank < order.Length; rank++)
        {
            if (encoded[order[rank]].AsSpan().SequenceEqual(encoded[order[rank - 1]]))
            {
                // Only strings that are not valid UTF-16 (a lone surrogate) can meet here; the database never gives one.
                throw new ArgumentException("Two terms have the same UTF-8 bytes: a term is not valid text.", nameof(terms));
            }
        }

        var utf8 = new byte[total];
        var starts = new int[terms.Count + 1];
        idOf = new int[terms.Count];
        var at = 0;
        for (var rank = 0; rank < order.Length; rank++)
        {
            var bytes = encoded[order[rank]];
            bytes.CopyTo(utf8, at);
            starts[rank] = at;
            at += bytes.Length;
            idOf[order[rank]] = rank;
        }

        starts[^1] = at;
        return new SortedTerms(utf8, starts);
    }

    /// <summary>
    /// Takes terms read from a snapshot, checking them: offsets from 0 to the bytes' end, every term non-empty and
    /// strictly greater than the one before (so sorted and distinct). Throws <see cref="InvalidDataException"/> otherwise.
    /// </summary>
    public static SortedTerms Read(byte[] utf8, int[] starts)
    {
        if (starts.Length == 0 || starts[0] != 0 || starts[^1] != utf8.Length)
        {
            throw new InvalidDataException("the snapshot's terms do not cover their bytes");
        }

        for (var t = 0; t + 1 < starts.Length; t++)
        {
            if (starts[t + 1] <= starts[t] || starts[t + 1] > utf8.Length)
            {
                throw new InvalidDataException("the snapshot lists an empty term, or its terms go backwards");
            }

            if (t > 0 && utf8.AsSpan(starts[t - 1], starts[t] - starts[t - 1]).SequenceCompareTo(utf8.AsSpan(starts[t], starts[t + 1] - starts[t])) >= 0)
            {
                throw new InvalidDataException("the snapshot's terms are not sorted, or repeat");
            }
        }

        return new SortedTerms(utf8, starts);
    }

    /// <summary>The id of <paramref name="term"/>, or -1 when it is not one of the terms.</summary>
    public int IndexOf(string term)
    {
        var length = Encoding.UTF8.GetByteCount(term);
        byte[]? rented = null;
        var key = length <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            key = key[..Encoding.UTF8.GetBytes(term, key)];
            int low = 0, high = Count - 1;
            while (low <= high)
            {
                var middle = low + ((high - low) >> 1);
                var order = Term(middle).SequenceCompareTo(key);
                if (order == 0)
                {
                    return middle;
                }

                if (order < 0)
                {
                    low = middle + 1;
                }
                else
                {
                    high = middle - 1;
                }
            }

            return -1;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private ReadOnlySpan<byte> Term(int id) => _utf8.AsSpan(_starts[id], _starts[id + 1] - _starts[id]);
}
