namespace TenantRag.Rag.Retrieval.Search;

/// <summary>Where the time of one search went, in milliseconds. Embedding runs in parallel with the database work.</summary>
/// <param name="TotalMs">Wall time of the whole search, from validation to the returned results (query embedding included).</param>
/// <param name="EmbeddingMs">Embedding the query (0 for lexical search).</param>
/// <param name="LexicalMs">The full-text query (0 for vector search).</param>
/// <param name="VectorMs">Loading (on a cache miss) and searching the vector indexes (0 for lexical search).</param>
/// <param name="FetchMs">Reading the result chunks.</param>
public readonly record struct SearchTimings(double TotalMs, double EmbeddingMs, double LexicalMs, double VectorMs, double FetchMs);
