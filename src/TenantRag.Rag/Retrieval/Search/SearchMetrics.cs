using System.Diagnostics.Metrics;

namespace TenantRag.Rag.Retrieval.Search;

/// <summary>
/// The search-latency histogram <c>tenantrag.search.duration</c> (seconds), one measurement per stage a search ran, tagged
/// with the stage (<see cref="SearchStage"/>) and the retriever. The query embedding runs beside the database work, so
/// the stages do not add up to <c>total</c>.
/// </summary>
internal sealed class SearchMetrics
{
    public const string DurationName = "tenantrag.search.duration";
    public const string StageTag = "tenantrag.search.stage";
    public const string RetrieverTag = "tenantrag.search.retriever";

    // From 0.1 ms (an index already cached) to 10 s (a large tenant's index loaded on a cold start).
    private static readonly InstrumentAdvice<double> Buckets = new()
    {
        HistogramBucketBoundaries = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    };

    private readonly Histogram<double> _duration;

    public SearchMetrics(Meter meter) =>
        _duration = meter.CreateHistogram(DurationName, "s", "Search latency by stage: embed, index, lexical, vector, fusion, fetch and total", tags: null, Buckets);

    /// <summary>Records the stages of one finished search (those it ran).</summary>
    public void Record(RetrieverKind retriever, RetrievalCandidates candidates, double fusionMs, double fetchMs, double totalMs)
    {
        if (!_duration.Enabled)
        {
            return;
        }

        var name = retriever.ToName();
        if (retriever != RetrieverKind.Lexical)
        {
            Record(SearchStage.Embed, name, candidates.EmbeddingMs);
            Record(SearchStage.Vector, name, candidates.VectorMs - candidates.VectorIndexMs);
        }

        if (retriever != RetrieverKind.Vector)
        {
            Record(SearchStage.Lexical, name, candidates.LexicalMs - candidates.LexicalIndexMs);
        }

        Record(SearchStage.Index, name, candidates.VectorIndexMs + candidates.LexicalIndexMs);
        Record(SearchStage.Fusion, name, fusionMs);
        Record(SearchStage.Fetch, name, fetchMs);
        Record(SearchStage.Total, name, totalMs);
    }

    private void Record(string stage, string retriever, double milliseconds) =>
        _duration.Record(Math.Max(0, milliseconds) / 1000, new(StageTag, stage), new(RetrieverTag, retriever));
}
