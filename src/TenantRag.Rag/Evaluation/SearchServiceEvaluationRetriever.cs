using TenantRag.Rag.Retrieval.Search;
using TenantRag.Tenancy;

namespace TenantRag.Rag.Evaluation;

/// <summary>
/// Answers evaluation queries with <see cref="SearchService.SearchDocumentsAsync"/>: the service's own document-level
/// ranking (each retriever's chunks collapsed to documents before fusion), the top 10. A document is named by its
/// external id (a BEIR <c>_id</c>), or when it has none by its source (a page's path below the directory it was
/// ingested from, as a question set names pages).
/// </summary>
public sealed class SearchServiceEvaluationRetriever : IEvaluationRetriever
{
    private readonly SearchService _search;
    private readonly RetrievalOptions _options;

    /// <summary>Creates the retriever.</summary>
    /// <param name="search">The search service under test.</param>
    /// <param name="options">Which retriever and fusion settings; null for the service's defaults.</param>
    public SearchServiceEvaluationRetriever(SearchService search, RetrievalOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(search);
        _search = search;
        _options = options ?? search.Defaults;
    }

    /// <inheritdoc />
    public string Name => _options.Retriever.ToName();

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double> Settings => _options.Retriever == RetrieverKind.Hybrid
        ? new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["vectorWeight"] = _options.VectorWeight,
            ["lexicalWeight"] = _options.LexicalWeight,
            ["rrfK"] = _options.RrfK,
            ["candidateDepth"] = _options.CandidateDepth,
        }
        : new Dictionary<string, double>(StringComparer.Ordinal) { ["candidateDepth"] = _options.CandidateDepth };

    /// <inheritdoc />
    public async Task<RetrievedDocuments> SearchAsync(TenantContext context, string query, CancellationToken cancellationToken = default)
    {
        var result = await _search.SearchDocumentsAsync(context, query, QueryEvaluation.CutOff, _options, cancellationToken).ConfigureAwait(false);
        var timings = result.Timings;
        return new RetrievedDocuments
        {
            DocumentIds = [.. result.Documents.Select(d => d.ExternalId ?? d.BestChunk.Source)],
            StageMs = new Dictionary<string, double>(StringComparer.Ordinal)
            {
                ["embedding"] = timings.EmbeddingMs,
                ["lexical"] = timings.LexicalMs,
                ["vector"] = timings.VectorMs,
                ["fetch"] = timings.FetchMs,
            },
        };
    }
}
