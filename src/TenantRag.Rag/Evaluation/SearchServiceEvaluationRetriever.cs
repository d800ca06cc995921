using TenantRag.Rag.Retrieval.Search;
using TenantRag.Tenancy;

namespace TenantRag.Rag.Evaluation;

/// <summary>
/// Answers evaluation queries with <see cref="SearchService.SearchDocumentsAsync(TenantContext, string, int, RetrievalOptions?, CancellationToken)"/>:
/// the service's own document-level ranking (each retriever's chunks collapsed to documents before fusion), the top 10.
/// A document is named by its external id (a BEIR <c>_id</c>), or when it has none by its source (a page's path below
/// the directory it was ingested from, as a question set names pages). Given several settings (a fusion grid), it ranks
/// each query under every one of them from one retrieval (<see cref="RetrievedDocuments.Variants"/>).
/// </summary>
public sealed class SearchServiceEvaluationRetriever : IEvaluationRetriever
{
    private readonly SearchService _search;
    private readonly IReadOnlyList<RetrievalOptions> _grid;

    /// <summary>Creates the retriever.</summary>
    /// <param name="search">The search service under test.</param>
    /// <param name="options">Which retriever and fusion settings; null for the service's defaults.</param>
    public SearchServiceEvaluationRetriever(SearchService search, RetrievalOptions? options = null)
        : this(search, [options ?? search?.Defaults ?? throw new ArgumentNullException(nameof(search))])
    {
    }

    /// <summary>Creates a retriever that compares several settings on each query.</summary>
    /// <param name="search">The search service under test.</param>
    /// <param name="grid">The settings, at least one; the first is the one reported as the run's own.</param>
    public SearchServiceEvaluationRetriever(SearchService search, IReadOnlyList<RetrievalOptions> grid)
    {
        ArgumentNullException.ThrowIfNull(search);
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentOutOfRangeException.ThrowIfZero(grid.Count);
        _search = search;
        _grid = grid;
    }

    /// <inheritdoc />
    public string Name => _grid[0].Retriever.ToName();

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double> Settings => SettingsOf(_grid[0]);

    /// <inheritdoc />
    public async Task<RetrievedDocuments> SearchAsync(TenantContext context, string query, CancellationToken cancellationToken = default)
    {
        var results = await _search.SearchDocumentsAsync(context, query, QueryEvaluation.CutOff, _grid, cancellationToken).ConfigureAwait(false);
        var timings = results[0].Timings;
        return new RetrievedDocuments
        {
            DocumentIds = IdsOf(results[0]),
            StageMs = new Dictionary<string, double>(StringComparer.Ordinal)
            {
                ["embedding"] = timings.EmbeddingMs,
                ["lexical"] = timings.LexicalMs,
                ["vector"] = timings.VectorMs,
                ["fetch"] = timings.FetchMs,
            },
            Variants = _grid.Count == 1 ? [] : [.. results.Select((r, i) => new RetrievedVariant { Settings = SettingsOf(_grid[i]), DocumentIds = IdsOf(r) })],
        };
    }

    private static string?[] IdsOf(DocumentSearchResult result) => [.. result.Documents.Select(d => d.ExternalId ?? d.BestChunk.Source)];

    private static Dictionary<string, double> SettingsOf(RetrievalOptions options) => options.Retriever == RetrieverKind.Hybrid
        ? new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["vectorWeight"] = options.VectorWeight,
            ["lexicalWeight"] = options.LexicalWeight,
            ["rrfK"] = options.RrfK,
            ["candidateDepth"] = options.CandidateDepth,
            ["secondChunkWeight"] = options.SecondChunkWeight,
        }
        : new Dictionary<string, double>(StringComparer.Ordinal) { ["candidateDepth"] = options.CandidateDepth, ["secondChunkWeight"] = options.SecondChunkWeight };
}
