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

    /// <summary>Searches and questions the tenant made (metered, every day).</summary>
    public required long Queries { get; init; }

    /// <summary>Tokens metered for the tenant (every day): <see cref="EmbeddingTokens"/> and <see cref="GeneratedTokens"/>.</summary>
    public required long Tokens { get; init; }

    /// <summary>Tokens embedded for the tenant (every day): its chunks' and its queries'.</summary>
    public long EmbeddingTokens { get; init; }

    /// <summary>Tokens of answers a chat model wrote for the tenant (every day).</summary>
    public long GeneratedTokens { get; init; }

    /// <summary>The tenant's metered days (from the day asked for), oldest first.</summary>
    public IReadOnlyList<UsageDay> Days { get; init; } = [];
}
