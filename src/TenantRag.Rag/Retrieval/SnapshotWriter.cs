using System.Buffers;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace TenantRag.Rag.Retrieval;

/// <summary>
/// Writes one index snapshot (<see cref="VectorIndex.ToSnapshot"/>, <see cref="LexicalIndex.ToSnapshot"/>): a header (magic, format, kind, payload length, SHA-256
/// of the payload) and the payload, little-endian, arrays as their raw bytes.
/// </summary>
internal sealed class SnapshotWriter
{
    /// <summary>"TRIX": TenantRag index.</summary>
    internal const uint Magic = 0x58495254;

    /// <summary>The payload layout's version; a snapshot of another version is not read (the normal load runs instead).</summary>
    internal const ushort FormatVersion = 1;

    /// <summary>Header bytes: magic, format, kind, reserved, payload length, payload hash.</summary>
    internal const int HeaderSize = 4 + 2 + 1 + 1 + 8 + SHA256.HashSizeInBytes;

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
        SHA256.HashData(payload, header[16..]);
        return snapshot;
    }
}
