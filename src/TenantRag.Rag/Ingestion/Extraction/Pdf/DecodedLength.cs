using System.Buffers;
using System.IO.Compression;
using System.Runtime.InteropServices;

namespace TenantRag.Rag.Ingestion.Extraction.Pdf;

/// <summary>
/// How long a PDF stream is once decompressed, found without keeping the output: inflated into a scratch buffer, or
/// (LZW, run-length) counted from the codes. Counting stops a byte past <c>limit</c>, so a stream that would expand to
/// gigabytes costs the time of inflating the limit. A damaged stream counts up to where it breaks, as a decoder would
/// stop there.
/// </summary>
internal static class DecodedLength
{
    private const int LzwClear = 256;
    private const int LzwEnd = 257;
    private const int LzwFirstCode = 258;
    private const int LzwMaxCodes = 4096;

    /// <summary>The inflated length of zlib (or raw deflate) data, at most <paramref name="limit"/> + 1.</summary>
    public static long Flate(Memory<byte> input, long limit)
    {
        var bytes = MemoryMarshal.TryGetArray<byte>(input, out var segment) ? segment : new ArraySegment<byte>(input.ToArray());

        // A zlib header is two bytes (deflate, window size, check bits) before the raw deflate data.
        var skip = bytes.Count >= 2 && (bytes[0] & 0x0F) == 8 && ((bytes[0] << 8) | bytes[1]) % 31 == 0 ? 2 : 0;
        using var compressed = new MemoryStream(bytes.Array!, bytes.Offset + skip, bytes.Count - skip, writable: false);
        using var inflater = new DeflateStream(compressed, CompressionMode.Decompress);
        var scratch = ArrayPool<byte>.Shared.Rent(64 * 1024);
        long total = 0;
        try
        {
            int read;
            while (total <= limit && (read = inflater.Read(scratch)) > 0)
            {
                total += read;
            }
        }
        catch (InvalidDataException)
        {
            // Damaged data: a decoder gives up here too.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }

        return total;
    }

    /// <summary>The decoded length of PDF LZW data (codes of 9 to 12 bits), at most <paramref name="limit"/> + 1.</summary>
    /// <param name="input">The encoded bytes.</param>
    /// <param name="earlyChange">The <c>/EarlyChange</c> parameter (1 unless the stream says 0).</param>
    /// <param name="limit">Where counting may stop.</param>
    public static long Lzw(ReadOnlySpan<byte> input, int earlyChange, long limit)
    {
        // Only the length of each table entry matters: an entry is the previous string plus one byte.
        Span<int> lengths = stackalloc int[LzwMaxCodes];
        var next = LzwFirstCode;
        var width = 9;
        var previous = 0;
        long total = 0;
        var bitBuffer = 0L;
        var bits = 0;
        var position = 0;
        while (total <= limit)
        {
            while (bits < width && position < input.Length)
            {
                bitBuffer = (bitBuffer << 8) | input[position++];
                bits += 8;
            }

            if (bits < width)
            {
                break;
            }

            var code = (int)((bitBuffer >> (bits - width)) & ((1 << width) - 1));
            bits -= width;
            if (code == LzwClear)
            {
                next = LzwFirstCode;
                width = 9;
                previous = 0;
                continue;
            }

            if (code == LzwEnd)
            {
                break;
            }

            int length;
            if (code < 256)
            {
                length = 1;
            }
            else if (code < next)
            {
                length = lengths[code];
            }
            else if (code == next && previous > 0)
            {
                length = previous + 1;
            }
            else
            {
                break;
            }

            total += length;
            if (previous > 0 && next < LzwMaxCodes)
            {
                lengths[next++] = previous + 1;
            }

            previous = length;
            width = (next + earlyChange) switch
            {
                < 512 => 9,
                < 1024 => 10,
                < 2048 => 11,
                _ => 12,
            };
        }

        return total;
    }

    /// <summary>The decoded length of run-length data; counting stops once past <paramref name="limit"/>.</summary>
    public static long RunLength(ReadOnlySpan<byte> input, long limit)
    {
        long total = 0;
        var position = 0;
        while (position < input.Length && total <= limit)
        {
            var run = input[position++];
            if (run == 128)
            {
                break;
            }

            if (run < 128)
            {
                total += run + 1;
                position += run + 1;
            }
            else
            {
                total += 257 - run;
                position++;
            }
        }

        return total;
    }
}
