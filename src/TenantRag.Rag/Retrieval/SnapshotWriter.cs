using System.Buffers;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;

namespace TenantRag.Rag.Retrieval;

/// <summary>
/// Writes one index snapshot (<see cref="VectorIndex.ToSnapshot"/>, <see cref="LexicalIndex.ToSnapshot"/>): a header (magic, format, kind, payload length,
/// 128-bit XXH3 hash of the payload) and the payload, little-endian, arrays as their raw bytes.
/// </summary>
/// <remarks>
/// The hash detects damage (a torn write, a bit flipped at rest, a bug), not forgery: whoever could write a tenant's
/// snapshot row could compute any hash, and the reader checks every count, offset and value anyway, so a crafted
/// snapshot can at worst misrank that tenant's own chunks. XXH3 checks a 10 MB snapshot in about a millisecond, where
/// SHA-256 took several on a cold tenant's first search.
/// </remarks>
internal sealed class SnapshotWriter
{
    /// <summary>"TRIX": TenantRag index.</summary>
    internal const uint Magic = 0x58495254;

    /// <summary>The payload layout's version; a snapshot of another version is not read (the normal load runs instead).</summary>
    /// <remarks>2: XXH3-128 instead of SHA-256; the full-text index's terms sorted, rows and frequencies narrowed.</remarks>
    internal const ushort FormatVersion = 2;

    /// <summary>Bytes of the payload's hash.</summary>
    internal const int HashSize = 16;

    /// <summary>Header bytes: magic, format, kind, reserved, payload length, payload hash.</summary>
    internal const int HeaderSize = 4 + 2 + 1 + 1 + 8 + HashSize;

    private readonly ArrayBufferWriter<byte> _buffer;
    private readonly byte _kind;

    public SnapshotWriter(byte kind, int capacity)
    {
        _kind = kind;
        _buffer = new ArrayBufferWriter<byte>(HeaderSize + capacity);
        _buffer.Advance(HeaderSize);
    }

    public void Write(int value) => Write<int>([value]);

    public void Write(string value)
    {
        var bytes = Encoding.UTF8.GetByteCount(value);
        Write(bytes);
        Encoding.UTF8.GetBytes(value, _buffer.GetSpan(bytes));
        _buffer.Advance(bytes);
    }

    public void Write<T>(ReadOnlySpan<T> values)
        where T : unmanaged
    {
        var bytes = MemoryMarshal.AsBytes(values);
        bytes.CopyTo(_buffer.GetSpan(bytes.Length));
        _buffer.Advance(bytes.Length);
    }

    /// <summary>Whether <paramref name="snapshot"/> is an index snapshot of another format version (written by an older release).</summary>
    public static bool IsOtherFormat(ReadOnlySpan<byte> snapshot) =>
        snapshot.Length >= 6 && MemoryMarshal.Read<uint>(snapshot) == Magic && MemoryMarshal.Read<ushort>(snapshot[4..]) != FormatVersion;

    /// <summary>The finished snapshot, its header filled in.</summary>
    public byte[] ToArray()
    {
        var snapshot = _buffer.WrittenSpan.ToArray();
        var payload = snapshot.AsSpan(HeaderSize);
        var header = snapshot.AsSpan(0, HeaderSize);
        MemoryMarshal.Write(header, Magic);
        MemoryMarshal.Write(header[4..], FormatVersion);
        header[6] = _kind;
        header[7] = 0;
        MemoryMarshal.Write(header[8..], (long)payload.Length);
        XxHash128.Hash(payload, header[16..]);
        return snapshot;
    }
}
