using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using TenantRag.Documents;
using TenantRag.Postgres.Installation;

namespace TenantRag.Postgres.Documents;

/// <summary>
/// The cursor of a document list: the position after the last document of a page (its creation time and id, the
/// list's order), sealed with AES-GCM under a key of the installation. Sealed, it is opaque (it does not show which
/// document, of whom, ended the page) and cannot be made by hand: only a cursor this installation made opens, and any
/// change to one is refused. It is a position and nothing more: the list it continues is read through the caller's
/// row-level security like the first page, so a cursor of another tenant or user shows the caller its own documents
/// from that point on. It is bound to no tenant, user or filter for that reason.
/// </summary>
/// <remarks>
/// The key is derived (HKDF-SHA256) from the installation's <see cref="Secrets.TenantRoleKey"/>, so every process of
/// one installation (each <c>serve</c>, the command line) opens the cursors of the others without a new secret to
/// keep, and the tenant passwords derived from that key are not weakened: HKDF's own label keeps the two apart.
/// </remarks>
public sealed class DocumentCursor
{
    private const byte Version = 1;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private const int PayloadSize = 1 + 8 + 16;
    private static readonly byte[] Label = Encoding.ASCII.GetBytes("tenantrag documents cursor v1");

    private readonly byte[] _key;

    private DocumentCursor(byte[] key) => _key = key;

    /// <summary>The cursors of the installation whose secrets these are.</summary>
    public static DocumentCursor For(Secrets secrets)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        return new DocumentCursor(HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(secrets.TenantRoleKey), 32, salt: [], info: Label));
    }

    /// <summary>The cursor of the position after (<paramref name="createdAt"/>, <paramref name="id"/>).</summary>
    public string Seal(DateTimeOffset createdAt, Guid id)
    {
        Span<byte> payload = stackalloc byte[PayloadSize];
        payload[0] = Version;
        BinaryPrimitives.WriteInt64BigEndian(payload[1..], createdAt.UtcTicks);
        id.TryWriteBytes(payload[9..], bigEndian: true, out _);
        var sealedBytes = new byte[NonceSize + PayloadSize + TagSize];
        var nonce = sealedBytes.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagSize);
        aes.Encrypt(nonce, payload, sealedBytes.AsSpan(NonceSize, PayloadSize), sealedBytes.AsSpan(NonceSize + PayloadSize), Label);
        return Convert.ToBase64String(sealedBytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary>The position a cursor stands for.</summary>
    /// <exception cref="UsageException">The cursor is not one this installation made, or was changed.</exception>
    public (DateTimeOffset CreatedAt, Guid Id) Open(string cursor)
    {
        ArgumentNullException.ThrowIfNull(cursor);
        Span<byte> sealedBytes = stackalloc byte[NonceSize + PayloadSize + TagSize];
        if (cursor.Length != Base64Length || !TryDecode(cursor, sealedBytes))
        {
            throw DocumentListQuery.InvalidCursor();
        }

        Span<byte> payload = stackalloc byte[PayloadSize];
        try
        {
            using var aes = new AesGcm(_key, TagSize);
            aes.Decrypt(sealedBytes[..NonceSize], sealedBytes.Slice(NonceSize, PayloadSize), sealedBytes[(NonceSize + PayloadSize)..], payload, Label);
        }
        catch (AuthenticationTagMismatchException)
        {
            throw DocumentListQuery.InvalidCursor();
        }

        var ticks = BinaryPrimitives.ReadInt64BigEndian(payload[1..]);
        if (payload[0] != Version || ticks < DateTimeOffset.MinValue.UtcTicks || ticks > DateTimeOffset.MaxValue.UtcTicks)
        {
            throw DocumentListQuery.InvalidCursor();
        }

        return (new DateTimeOffset(ticks, TimeSpan.Zero), new Guid(payload[9..], bigEndian: true));
    }

    // Unpadded base64url of the sealed bytes.
    private static int Base64Length => ((NonceSize + PayloadSize + TagSize) * 4 + 2) / 3;

    private static bool TryDecode(string cursor, Span<byte> bytes)
    {
        var padded = cursor.Replace('-', '+').Replace('_', '/') + new string('=', (4 - (cursor.Length % 4)) % 4);
        return Convert.TryFromBase64String(padded, bytes, out var written) && written == bytes.Length
            && string.Equals(Convert.ToBase64String(bytes).TrimEnd('='), cursor.Replace('-', '+').Replace('_', '/'), StringComparison.Ordinal);
    }
}
