using System.Diagnostics;
using Microsoft.Extensions.AI;
using TenantRag.Tenancy;

namespace TenantRag.Rag.Evaluation;

/// <summary>
/// Runs a retrieval evaluation end to end: makes (or reuses) the tenants, measures the embedding model alone on a
/// sample of chunk texts, ingests the corpus, asks every query in its tenant and scores the results. For a question set
/// (<see cref="BeirDataset.AnswerKeys"/>) it also asks the answerer every question and checks each answer against its key.
/// </summary>
public sealed partial class RetrievalEvaluator
{
    private const string WarmUpQuery = "warm up the tenant's search";

    private readonly ITenantCatalog _catalog;
    private readonly IEvaluationIngestor _ingestor;
    private readonly IEvaluationRetriever _retriever;
    private readonly IEmbeddingGenerator<string, Embedding<float>> _embeddings;
    private readonly IEvaluationAnswerer? _answerer;

    /// <summary>Creates the evaluator.</summary>
    /// <param name="catalog">Creates and finds the evaluation tenants.</param>
    /// <param name="ingestor">Ingests the corpus.</param>
    /// <param name="retriever">Answers the queries.</param>
    /// <param name="embeddings">The model ingestion embeds with, measured alone for comparison.</param>
    public RetrievalEvaluator(ITenantCatalog catalog, IEvaluationIngestor ingestor, IEvaluationRetriever retriever,
        IEmbeddingGenerator<string, Embedding<float>> embeddings)
        : this(catalog, ingestor, retriever, embeddings, answerer: null)
    {
    }

    /// <summary>Creates the evaluator.</summary>
    /// <param name="catalog">Creates and finds the evaluation tenants.</param>
    /// <param name="ingestor">Ingests the corpus.</param>
    /// <param name="retriever">Answers the queries.</param>
    /// <param name="embeddings">The model ingestion embeds with, measured alone for comparison.</param>
    /// <param name="answerer">Answers the questions of a question set; null to score only where their pages rank.</param>
    public RetrievalEvaluator(ITenantCatalog catalog, IEvaluationIngestor ingestor, IEvaluationRetriever retriever,
        IEmbeddingGenerator<string, Embedding<float>> embeddings, IEvaluationAnswerer? answerer)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(ingestor);
        ArgumentNullException.ThrowIfNull(retriever);
        ArgumentNullException.ThrowIfNull(embeddings);
        _catalog = catalog;
        _ingestor = ingestor;
        _retriever = retriever;
        _embeddings = embeddings;
        _answerer = answerer;
    }

    /// <summary>Evaluates <paramref name="data"/>; <paramref name="progress"/> receives one line per stage (no document text).</summary>
    public async Task<EvaluationReport> RunAsync(BeirDataset data, EvaluationOptions options, IProgress<string>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var user = UserId.Parse(options.User);
        var tenants = EvaluationTenant.Plan(data, options);

        await EnsureTenantsAsync(tenants, options, progress, cancellationToken).ConfigureAwait(false);

        var before = (ChunksPerSecond: 0.0, Sample: 0);
        if (options.MeasureEmbedding)
        {
            before = await MeasureEmbeddingAsync(data.Corpus, options.EmbeddingSampleSize, cancellationToken).ConfigureAwait(false);
            progress?.Report($"embedding model alone: {before.ChunksPerSecond:F1} chunks/s on {before.Sample} chunk texts");
        }

        var ingestion = EvaluationIngestion.None;
        foreach (var tenant in tenants)
        {
            var done = await _ingestor.IngestAsync(TenantContext.For(tenant.Slug, user), tenant.Documents, cancellationToken).ConfigureAwait(false);
            ingestion = ingestion.Add(done);
            var refused = done.DocumentsRefused > 0 ? $", {done.DocumentsRefused} refused as only redirecting" : string.Empty;
            progress?.Report($"ingested {tenant.Slug}: {done.Documents} documents ({done.DocumentsStored} stored, {done.DocumentsUnchanged} unchanged{refused}), {done.Chunks} chunks in {done.Elapsed.TotalSeconds:F1} s");
        }

        // A long ingestion may run under other load than the first measurement: measuring again after it and taking the
        // mean compares ingestion with the model under the same conditions, on average.
        var embeddingOnly = before;
        if (options.MeasureEmbedding && ingestion.ChunksEmbedded > 0)
        {
            var after = await MeasureEmbeddingAsync(data.Corpus, options.EmbeddingSampleSize, cancellationToken).ConfigureAwait(false);
            progress?.Report($"embedding model alone, again after ingestion: {after.ChunksPerSecond:F1} chunks/s");
            embeddingOnly = ((before.ChunksPerSecond + after.ChunksPerSecond) / 2, before.Sample);
        }

        var (results, questions, grid) = await RunQueriesAsync(data, tenants, user, progress, cancellationToken).ConfigureAwait(false);
        var quality = RetrievalQuality.Of(results);
        var answers = questions is { Count: > 0 } ? AnswerQuality.Of(questions) : null;
        return new EvaluationReport
        {
            NdcgAt10 = Math.Round(quality.NdcgAt10, 4),
            RecallAt10 = Math.Round(quality.RecallAt10, 4),
            MrrAt10 = Math.Round(quality.MrrAt10, 4),
            Top3 = answers?.Top3,
            KeyFact = answers?.KeyFact,
            EverySentenceCited = answers?.EverySentenceCited,
            NotFound = answers?.NotFound,
            AnswerLatencyMs = answers?.AnswerLatencyMs,
            Questions = questions,
            CrossTenantResults = quality.CrossTenantResults,
            QueryLatencyMs = new LatencyPercentiles(Math.Round(quality.Latency.P50, 2), Math.Round(quality.Latency.P95, 2)),
            QueryStagesMsP50 = quality.StageMsP50.ToDictionary(s => s.Key, s => Math.Round(s.Value, 2), StringComparer.Ordinal),
            Ingest = EvaluationReport.IngestFigures.Of(ingestion),
            EmbeddingOnlyChunksPerSecond = Math.Round(embeddingOnly.ChunksPerSecond, 1),
            Split = data.Split.ToName(),
            Retriever = _retriever.Name,
            RetrieverSettings = _retriever.Settings,
            Mode = options.Mode.ToName(),
            PerTenant = options.PerTenant,
            Tenants = [.. tenants.Select(t => t.Slug.Value)],
            Queries = quality.Queries,
            Documents = data.Corpus.Count,
            EmbeddingSample = embeddingOnly.Sample,
            PerQuery = results,
            Grid = grid?.Points(),
        };
    }

    private async Task<(List<QueryEvaluation> Results, List<QuestionResult>? Questions, GridScores? Grid)> RunQueriesAsync(BeirDataset data,
        IReadOnlyList<EvaluationTenant> tenants, UserId user, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        // The first search in a tenant loads its vector index: warm each tenant once, untimed, so latency is the steady state.
        var answerer = data.AnswerKeys is null ? null : _answerer;
        foreach (var tenant in tenants.Where(t => t.Queries.Count > 0))
        {
            await _retriever.SearchAsync(TenantContext.For(tenant.Slug, user), WarmUpQuery, cancellationToken).ConfigureAwait(false);
            if (answerer is not null)
            {
                await answerer.AnswerAsync(TenantContext.For(tenant.Slug, user), WarmUpQuery, cancellationToken).ConfigureAwait(false);
            }
        }

        var total = tenants.Sum(t => t.Queries.Count);
        var answering = answerer is null ? string.Empty : ", answering each";
        progress?.Report($"running {total} {data.Split.ToName()} queries with the {_retriever.Name} retriever in {tenants.Count} tenant(s){answering}");
        var results = new List<QueryEvaluation>(total);
        var questions = data.AnswerKeys is null ? null : new List<QuestionResult>(total);
        GridScores? grid = null;
        foreach (var tenant in tenants)
        {
            var context = TenantContext.For(tenant.Slug, user);
            foreach (var query in tenant.Queries)
            {
                var started = Stopwatch.GetTimestamp();
                var found = await _retriever.SearchAsync(context, query.Text, cancellationToken).ConfigureAwait(false);
                var latencyMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                var scored = QueryEvaluation.Score(query.Id, tenant.Slug.Value, found.DocumentIds, data.Qrels[query.Id], latencyMs,
                    tenant.Name is null ? null : data.DocumentTenants, tenant.Name);
                results.Add(scored with { StageMs = found.StageMs });
                if (found.Variants.Count > 0)
                {
                    grid ??= new GridScores(found.Variants.Select(v => v.Settings).ToList(), data.AnswerKeys is not null);
                    grid.Add(query, tenant.Slug.Value, found.Variants, data.Qrels[query.Id], data.AnswerKeys?[query.Id]);
                }

                if (questions is not null)
                {
                    questions.Add(await AnswerAsync(context, query, data.AnswerKeys![query.Id], scored, answerer, cancellationToken).ConfigureAwait(false));
                }
            }
        }

        return (results, questions, grid);
    }

    private static async Task<QuestionResult> AnswerAsync(TenantContext context, BeirQuery query, AnswerKey key, QueryEvaluation scored,
        IEvaluationAnswerer? answerer, CancellationToken cancellationToken)
    {
        if (answerer is null)
        {
            return QuestionResult.Of(query, key, scored, answer: null, answerMs: null);
        }

        var started = Stopwatch.GetTimestamp();
        var answer = await answerer.AnswerAsync(context, query.Text, cancellationToken).ConfigureAwait(false);
        return QuestionResult.Of(query, key, scored, answer, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    private async Task<(double ChunksPerSecond, int Sample)> MeasureEmbeddingAsync(IReadOnlyList<BeirDocument> corpus, int size, CancellationToken cancellationToken)
    {
        var texts = await _ingestor.EmbeddingInputsAsync(corpus, size, cancellationToken).ConfigureAwait(false);
        if (texts.Count == 0)
        {
            return (0, 0);
        }

        // One small untimed call first: the first run of a model pays for allocation and graph set-up.
        await _embeddings.GenerateAsync(texts.Take(8), cancellationToken: cancellationToken).ConfigureAwait(false);
        var started = Stopwatch.GetTimestamp();
        await _embeddings.GenerateAsync(texts, cancellationToken: cancellationToken).ConfigureAwait(false);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        return (seconds > 0 ? texts.Count / seconds : 0, texts.Count);
    }
}
