using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;

namespace TenantRag.Rag.Retrieval;

/// <summary>
/// Reads one index snapshot written by <see cref="SnapshotWriter"/>, checking its header and hash first; every read past
/// the end, or a count out of range, throws <see cref="InvalidDataException"/>.
/// </summary>
internal ref struct SnapshotReader
{
    private readonly ReadOnlySpan<byte> _payload;
    private int _position;

    /// <summary>Checks the header (magic, format, kind, length) and the payload's hash.</summary>
    public SnapshotReader(ReadOnlySpan<byte> snapshot, byte kind)
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new InvalidDataException("index snapshots are little-endian");
        }

        if (snapshot.Length < SnapshotWriter.HeaderSize
            || MemoryMarshal.Read<uint>(snapshot) != SnapshotWriter.Magic
            || MemoryMarshal.Read<ushort>(snapshot[4..]) != SnapshotWriter.FormatVersion
            || snapshot[6] != kind
            || MemoryMarshal.Read<long>(snapshot[8..]) != snapshot.Length - SnapshotWriter.HeaderSize)
        {
            throw new InvalidDataException("not an index snapshot of this kind and format, or truncated");
        }

        _payload = snapshot[SnapshotWriter.HeaderSize..];
        Span<byte> hash = stackalloc byte[SnapshotWriter.HashSize];
        XxHash128.Hash(_payload, hash);
        if (!hash.SequenceEqual(snapshot.Slice(16, SnapshotWriter.HashSize)))
        {
            throw new InvalidDataException("the index snapshot's bytes do not match its hash");
        }

        _position = 0;
    }

    /// <summary>Whether every byte has been read.</summary>
    public readonly bool AtEnd => _position == _payload.Length;

    public int ReadInt32() => MemoryMarshal.Read<int>(Take(sizeof(int)));

    /// <summary>A count: 0 to <paramref name="max"/>.</summary>
    public int ReadCount(long max)
    {
        var count = ReadInt32();
        return count >= 0 && count <= max ? count : throw new InvalidDataException($"a count of {count} is out of range");
    }

    public string ReadString()
    {
        var bytes = ReadCount(_payload.Length - _position);
        return Encoding.UTF8.GetString(Take(bytes));
    }

    public T[] ReadArray<T>(long count)
        where T : unmanaged
    {
        var size = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        if (count < 0 || count > (_payload.Length - _position) / size)
        {
            throw new InvalidDataException($"an array of {count} values runs past the end of the snapshot");
        }

        return MemoryMarshal.Cast<byte, T>(Take((int)count * size)).ToArray();
    }

    private ReadOnlySpan<byte> Take(int bytes)
    {
        if (bytes > _payload.Length - _position)
        {
            throw new InvalidDataException("the index snapshot is truncated");
        }

        var span = _payload.Slice(_position, bytes);
        _position += bytes;
        return span;
    }
}
