namespace TenantRag.Rag.Retrieval.Search;

/// <summary>The ranked chunks of one search, with the evidence a caller needs to decide whether anything relevant was found.</summary>
public sealed record SearchResult
{
    /// <summary>The query as searched.</summary>
    public required string Query { get; init; }

    /// <summary>The retrievers that ran.</summary>
    public required RetrieverKind Retriever { get; init; }

    /// <summary>The chunks, best first; at most the number asked for.</summary>
    public required IReadOnlyList<SearchHit> Hits { get; init; }

    /// <summary>The highest cosine similarity among the visible vectors, or null when the vector retriever did not run or found none.</summary>
    public float? TopVectorScore { get; init; }

    /// <summary>How many full-text candidates were found (up to the candidate depth); 0 when the lexical retriever did not run.</summary>
    public int LexicalCandidates { get; init; }

    /// <summary>
    /// The query's embedding (unit length) by <see cref="SearchService.QueryModel"/> when the vector retriever ran, else
    /// null; an extractive answer compares its sentences with it instead of embedding the question again.
    /// </summary>
    public ReadOnlyMemory<float>? QueryVector { get; init; }

    /// <summary>Where the time went.</summary>
    public required SearchTimings Timings { get; init; }
}
