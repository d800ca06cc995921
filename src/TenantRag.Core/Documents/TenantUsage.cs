namespace TenantRag.Documents;

/// <summary>What a tenant holds and has used, as visible to the caller.</summary>
public sealed record TenantUsage
{
    /// <summary>Documents the caller can see.</summary>
    public required long Documents { get; init; }

    /// <summary>Chunks the caller can see.</summary>
    public required long Chunks { get; init; }

    /// <summary>Bytes of the originals of those documents.</summary>
    public required long Bytes { get; init; }

    /// <summary>Searches and questions the tenant made.</summary>
    public required long Queries { get; init; }

    /// <summary>Tokens the tenant's queries and answers processed.</summary>
    public required long Tokens { get; init; }
}
