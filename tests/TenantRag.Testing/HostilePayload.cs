namespace TenantRag.Testing;

/// <summary>
/// One raw request body of the <see cref="HostilePayloads"/> corpus: bytes that no serializer would produce, sent
/// with the content type given (null: no Content-Type header at all).
/// </summary>
public sealed record HostilePayload(string Name, string? ContentType, byte[] Body)
{
    /// <summary>The name only (the body may not be printable).</summary>
    public override string ToString() => Name;
}
