using System.Text.Json.Serialization;

namespace TenantRag.Rag.Evaluation;

/// <summary>
/// The result of an evaluation run. Serialised with camel-case names it is the JSON of <c>tenantrag eval --json</c>:
/// <c>ndcgAt10</c>, <c>recallAt10</c>, <c>mrrAt10</c>, <c>crossTenantResults</c>, <c>queryLatencyMs</c> {<c>p50</c>,
/// <c>p95</c>}, <c>ingest</c> {<c>chunks</c>, <c>seconds</c>, <c>chunksPerSecond</c>}, <c>embeddingOnlyChunksPerSecond</c>,
/// then details. A question set (one with answer keys) adds <c>top3</c>, <c>keyFact</c>, <c>everySentenceCited</c>,
/// <c>notFound</c>, <c>answerLatencyMs</c> and <c>questions</c> (one entry per question); a retrieval-only set has none
/// of them.
/// </summary>
public sealed record EvaluationReport
{
    /// <summary>Mean nDCG@10.</summary>
    public required double NdcgAt10 { get; init; }

    /// <summary>Mean Recall@10.</summary>
    public required double RecallAt10 { get; init; }

    /// <summary>Mean reciprocal rank within the first 10.</summary>
    public required double MrrAt10 { get; init; }

    /// <summary>Question sets: share of the questions whose page was among the first three pages (hit@3).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? Top3 { get; init; }

    /// <summary>Question sets: share of the questions whose answer states the key fact ("not found" counts as not).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? KeyFact { get; init; }

    /// <summary>Question sets: share of the answers given in which every sentence carries a citation.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? EverySentenceCited { get; init; }

    /// <summary>Question sets: questions answered "not found".</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? NotFound { get; init; }

    /// <summary>Question sets: answer latency percentiles in milliseconds (as <c>ask</c>: its search included).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public LatencyPercentiles? AnswerLatencyMs { get; init; }

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
    [JsonIgnore]
    public IReadOnlyList<QueryEvaluation> PerQuery { get; init; } = [];

    /// <summary>Question sets: each question's page rank and answer, in the order asked.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<QuestionResult>? Questions { get; init; }

    /// <summary>
    /// A fusion grid (several settings compared on the same queries, retrieving once): each setting's quality, in the
    /// order given. The report's other figures are those of the first setting; no answers are made. Null otherwise.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<FusionGridPoint>? Grid { get; init; }

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

        /// <summary>Pages of a question set refused as they would be on upload (only a redirect); left out when none.</summary>
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
        public int DocumentsRefused { get; init; }

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
                DocumentsRefused = ingestion.DocumentsRefused,
            };
        }
    }
}
