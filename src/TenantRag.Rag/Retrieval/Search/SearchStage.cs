namespace TenantRag.Rag.Retrieval.Search;

/// <summary>The stages of a search, as the <c>tenantrag.search.stage</c> tag names them.</summary>
public static class SearchStage
{
    /// <summary>Embedding the query (or finding its vector in the query cache); vector and hybrid searches.</summary>
    public const string Embed = "embed";

    /// <summary>Getting the tenant's indexes: from the cache, or loaded through the caller's session on a miss.</summary>
    public const string Index = "index";

    /// <summary>Scoring the full-text (BM25) index; lexical and hybrid searches.</summary>
    public const string Lexical = "lexical";

    /// <summary>Scanning the vector index; vector and hybrid searches.</summary>
    public const string Vector = "vector";

    /// <summary>Ranking the candidates (reciprocal rank fusion for hybrid searches).</summary>
    public const string Fusion = "fusion";

    /// <summary>Reading the result chunks through the caller's session.</summary>
    public const string Fetch = "fetch";

    /// <summary>The whole search.</summary>
    public const string Total = "total";
}
