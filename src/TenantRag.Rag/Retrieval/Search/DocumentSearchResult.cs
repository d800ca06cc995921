namespace TenantRag.Rag.Retrieval.Search;

/// <summary>The ranked documents of one document-level search.</summary>
public sealed record DocumentSearchResult
{
    /// <summary>The query as searched.</summary>
    public required string Query { get; init; }

    /// <summary>The retrievers that ran.</summary>
    public required RetrieverKind Retriever { get; init; }

    /// <summary>The documents, best first; at most the number asked for.</summary>
    public required IReadOnlyList<DocumentHit> Documents { get; init; }

    /// <summary>Where the time went.</summary>
    public required SearchTimings Timings { get; init; }
}
