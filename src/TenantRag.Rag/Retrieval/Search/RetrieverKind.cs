namespace TenantRag.Rag.Retrieval.Search;

/// <summary>Which retrievers a search runs.</summary>
public enum RetrieverKind
{
    /// <summary>Vector and full-text search, fused by weighted reciprocal rank.</summary>
    Hybrid,

    /// <summary>Only the embedding similarity search (the in-process index).</summary>
    Vector,

    /// <summary>Only PostgreSQL full-text search.</summary>
    Lexical,
}

/// <summary>Text forms of <see cref="RetrieverKind"/> (<c>hybrid</c>, <c>vector</c>, <c>lexical</c>), as typed on the command line.</summary>
public static class RetrieverKinds
{
    /// <summary>The lowercase name.</summary>
    public static string ToName(this RetrieverKind kind) => kind switch
    {
        RetrieverKind.Hybrid => "hybrid",
        RetrieverKind.Vector => "vector",
        RetrieverKind.Lexical => "lexical",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown retriever"),
    };

    /// <summary>Parses <c>hybrid</c>, <c>vector</c> or <c>lexical</c>; anything else is a <see cref="UsageException"/>.</summary>
    public static RetrieverKind Parse(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "hybrid" => RetrieverKind.Hybrid,
        "vector" => RetrieverKind.Vector,
        "lexical" => RetrieverKind.Lexical,
        _ => throw new UsageException($"unknown retriever '{UsageException.Echo(text)}': use hybrid, vector or lexical"),
    };
}
