namespace TenantRag.Rag.Evaluation;

/// <summary>
/// The result of an evaluation run. Serialised with camel-case names it is the JSON of <c>tenantrag eval --json</c>:
/// <c>ndcgAt10</c>, <c>recallAt10</c>, <c>mrrAt10</c>, <c>crossTenantResults</c>, <c>queryLatencyMs</c> {<c>p50</c>,
/// <c>p95</c>}, <c>ingest</c> {<c>chunks</c>, <c>seconds</c>, <c>chunksPerSecond</c>}, <c>embeddingOnlyChunksPerSecond</c>,
/// then details.
/// </summary>
public sealed record EvaluationReport
{
    /// <summary>Mean nDCG@10.</summary>
    public required double NdcgAt10 { get; init; }

    /// <summary>Mean Recall@10.</summary>
    public required double RecallAt10 { get; init; }

    /// <summary>Mean reciprocal rank within the first 10.</summary>
    public required double MrrAt10 { get; init; }

    /// <summary>Returned documents that belong to another tenant than their query's (must be 0; always 0 without per-tenant runs).</summary>
    public required int CrossTenantResults { get; init; }

    /// <summary>Query latency percentiles in milliseconds, query embedding included.</summary>
    public required LatencyPercentiles QueryLatencyMs { get; init; }

    /// <summary>Median milliseconds per search stage (embedding, lexical, vector, fetch; embedding overlaps the database work).</summary>
    public IReadOnlyDictionary<string, double> QueryStagesMsP50 { get; init; } = new Dictionary<string, double>();

    /// <summary>Ingestion throughput of this run.</summary>
    public required IngestFigures Ingest { get; init; }

    /// <summary>
    /// Chunks per second of the embedding model alone on a fixed sample of chunk texts, measured in this run: before
    /// ingestion, and when ingestion embedded anything the mean of that and a second measurement after it.
    /// </summary>
    public required double EmbeddingOnlyChunksPerSecond { get; init; }

    /// <summary><c>test</c> or <c>train</c>.</summary>
    public required string Split { get; init; }

    /// <summary>Which retriever answered.</summary>
    public required string Retriever { get; init; }

    /// <summary>The settings behind its ranking (fusion weights, candidate depth).</summary>
    public IReadOnlyDictionary<string, double> RetrieverSettings { get; init; } = new Dictionary<string, double>();

    /// <summary><c>shared</c> or <c>dedicated</c>.</summary>
    public required string Mode { get; init; }

    /// <summary>True when every query ran in its own tenant.</summary>
    public required bool PerTenant { get; init; }

    /// <summary>The tenants searched.</summary>
    public required IReadOnlyList<string> Tenants { get; init; }

    /// <summary>Queries scored.</summary>
    public required int Queries { get; init; }

    /// <summary>Documents in the evaluated corpus.</summary>
    public required int Documents { get; init; }

    /// <summary>The sample size behind <see cref="EmbeddingOnlyChunksPerSecond"/>.</summary>
    public required int EmbeddingSample { get; init; }

    /// <summary>Each query's result, for analysis; not part of the JSON.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<QueryEvaluation> PerQuery { get; init; } = [];

    /// <summary>Ingestion figures: <c>chunks</c>, <c>seconds</c> and <c>chunksPerSecond</c>, then details.</summary>
    public sealed record IngestFigures
    {
        /// <summary>Chunks stored by this run (0 when the corpus was already ingested).</summary>
        public required long Chunks { get; init; }

        /// <summary>Wall time of ingestion in this run.</summary>
        public required double Seconds { get; init; }

        /// <summary><see cref="Chunks"/> / <see cref="Seconds"/>; 0 when nothing was stored.</summary>
        public required double ChunksPerSecond { get; init; }

        /// <summary>Chunks embedded by the model (the others reused a stored vector of the same text).</summary>
        public required long ChunksEmbedded { get; init; }

        /// <summary>Documents added or replaced.</summary>
        public required int DocumentsStored { get; init; }

        /// <summary>Documents skipped because they were already stored with the same content.</summary>
        public required int DocumentsUnchanged { get; init; }

        /// <summary>Figures for <paramref name="ingestion"/>.</summary>
        public static IngestFigures Of(EvaluationIngestion ingestion)
        {
            ArgumentNullException.ThrowIfNull(ingestion);
            var seconds = ingestion.Elapsed.TotalSeconds;
            return new IngestFigures
            {
                Chunks = ingestion.Chunks,
                Seconds = Math.Round(seconds, 3),
                ChunksPerSecond = ingestion.Chunks > 0 && seconds > 0 ? Math.Round(ingestion.Chunks / seconds, 1) : 0,
                ChunksEmbedded = ingestion.ChunksEmbedded,
                DocumentsStored = ingestion.DocumentsStored,
                DocumentsUnchanged = ingestion.DocumentsUnchanged,
            };
        }
    }
}
