using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.AI;
using TenantRag.Hosting;
using TenantRag.Rag.Embeddings;
using TenantRag.Rag.Evaluation;
using TenantRag.Rag.Generation;
using TenantRag.Rag.Ingestion.Pipeline;
using TenantRag.Rag.Retrieval;
using TenantRag.Rag.Retrieval.Search;
using TenantRag.Retrieval;
using TenantRag.Tenancy;

namespace TenantRag.Cli.Commands;

/// <summary>
/// <c>tenantrag eval --data &lt;dir&gt; [--pages &lt;dir&gt;] [--split train|test] [--tenants] [--mode shared|dedicated]
/// [--retriever hybrid|vector|lexical] [--limit N] [--fresh] [--quick] [--json]</c>: retrieval quality on a BEIR-format set, or
/// retrieval and answer quality on a question set over HTML pages (a directory with <c>questions.jsonl</c>).
/// </summary>
internal static class EvalCommand
{
    /// <summary>Documents not judged for any kept query, per kept query, that a <c>--limit</c> slice adds as distractors.</summary>
    internal const int DistractorsPerQuery = 5;

    /// <summary>The most combinations of fusion settings one run scores.</summary>
    internal const int MaxGridSize = 1000;

    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(5);

    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "A BEIR-format directory (corpus.jsonl, queries.jsonl, qrels.tsv, and the train and tenant files), or a question set (questions.jsonl)", Required = true };
        var pages = new Option<string>("--pages") { Description = "For a question set: the directory of the HTML pages it asks about (e.g. the Cargo Book, see eval/cargo-book)" };
        var split = new Option<string>("--split") { Description = "test (report) or train (tune)", DefaultValueFactory = _ => "test" };
        var tenants = new Option<bool>("--tenants") { Description = "Index each document in its tenant from tenants.tsv and ask each query in its own tenant" };
        var mode = new Option<string>("--mode") { Description = "shared or dedicated: the model new evaluation tenants are created in", DefaultValueFactory = _ => "shared" };
        var retriever = new Option<string>("--retriever") { Description = "hybrid, vector or lexical", DefaultValueFactory = _ => "hybrid" };
        var limit = new Option<int?>("--limit") { Description = $"Only the first N queries, their judged documents and {DistractorsPerQuery} other documents per query (in tenants of their own)" };
        var quick = new Option<bool>("--quick") { Description = "Do not measure the embedding model alone (ingestion throughput is then not compared with it): for runs that compare settings, e.g. fusion on --split train" };
        var fresh = new Option<bool>("--fresh") { Description = "Delete the evaluation tenants first, so ingestion is measured from scratch" };
        var vectorWeight = new Option<string?>("--vector-weight") { Description = "Fusion weight of the vector ranking (tune on --split train only). Several values, comma-separated, here or in the other fusion settings, score every combination on the same queries (a fusion grid, see scripts/tune-fusion)" };
        var lexicalWeight = new Option<string?>("--lexical-weight") { Description = "Fusion weight of the full-text ranking (tune on --split train only); comma-separated values for a fusion grid" };
        var rrfK = new Option<string?>("--rrf-k") { Description = "The k of reciprocal rank fusion (tune on --split train only); comma-separated values for a fusion grid" };
        var secondChunkWeight = new Option<string?>("--second-chunk-weight") { Description = "How much a page's second-best chunk counts when chunks are ranked as pages, 0 to 1 (tune on --split train only); comma-separated values for a grid" };
        var depth = new Option<string?>("--depth") { Description = "Candidates each retriever contributes before fusion; comma-separated values for a fusion grid" };
        var queryPrecision = new Option<string>("--query-precision") { Description = "int8 (as the server embeds queries) or float32; documents always embed in float32", DefaultValueFactory = _ => "int8" };
        var eval = new Command("eval", "Retrieval quality on a BEIR-format set (nDCG@10, Recall@10, MRR@10, query latency, ingestion throughput), and answer quality on a question set (page in the top 3, key fact stated)")
        {
            data, pages, split, tenants, mode, retriever, limit, fresh, quick, vectorWeight, lexicalWeight, rrfK, depth, secondChunkWeight, queryPrecision,
        };
        eval.SetAction(CliContext.Action(cli => RunAsync(cli, new EvalArguments
        {
            Data = cli.Parse.GetValue(data),
            Pages = cli.Parse.GetValue(pages),
            Split = cli.Parse.GetValue(split),
            PerTenant = cli.Parse.GetValue(tenants),
            Mode = cli.Parse.GetValue(mode),
            Retriever = cli.Parse.GetValue(retriever),
            Limit = cli.Parse.GetValue(limit),
            Fresh = cli.Parse.GetValue(fresh),
            Quick = cli.Parse.GetValue(quick),
            VectorWeight = cli.Parse.GetValue(vectorWeight),
            LexicalWeight = cli.Parse.GetValue(lexicalWeight),
            RrfK = cli.Parse.GetValue(rrfK),
            Depth = cli.Parse.GetValue(depth),
            SecondChunkWeight = cli.Parse.GetValue(secondChunkWeight),
            QueryPrecision = cli.Parse.GetValue(queryPrecision),
        })));
        return eval;
    }

    private static async Task<int> RunAsync(CliContext cli, EvalArguments arguments)
    {
        // Validate everything, the whole data set included, before touching the database or the model (exit 2).
        var ct = cli.CancellationToken;
        var split = BeirSplits.Parse(arguments.Split);
        var mode = TenancyModes.Parse(arguments.Mode);
        var grid = Retrieval(arguments);
        var retrieval = grid[0];
        var queryPrecision = QueryPrecision(arguments.QueryPrecision);
        if (arguments.Limit is < 1)
        {
            throw new UsageException($"--limit {arguments.Limit} is out of range: give a number of queries, 1 or more");
        }

        if (string.IsNullOrWhiteSpace(arguments.Data))
        {
            throw new UsageException("--data is empty: point it at a BEIR-format directory, e.g. --data ~/datasets/scifact (BEIR format: corpus.jsonl, queries.jsonl, qrels/)");
        }

        var data = await LoadAsync(arguments, split, ct).ConfigureAwait(false);
        var prefix = TenantPrefix(arguments.Data);
        if (arguments.Limit is { } limit)
        {
            data = data.Slice(limit, DistractorsPerQuery, arguments.PerTenant);
            prefix = $"{prefix}-{split.ToName()}-n{limit}";
        }

        var options = new EvaluationOptions { TenantPrefix = prefix, PerTenant = arguments.PerTenant, Mode = mode, Fresh = arguments.Fresh, MeasureEmbedding = !arguments.Quick };
        options.Validate();

        var progress = new EvalProgress();
        cli.Override($"{TenantRagSettings.SectionName}:Embeddings:QueryPrecision", queryPrecision.ToString());
        await using var host = await cli.StartHostAsync(setup => setup.ForegroundUploads = true).ConfigureAwait(false);
        var queries = host.Get<IEmbeddingGenerator<string, Embedding<float>>>();
        using var cache = new RetrievalIndexCache();
        // No query vector cache: every timed query pays for its own embedding, as the latency target requires.
        var search = new SearchService(host.Get<ISearchStore>(), queries, cache, new SearchServiceOptions { QueryEmbeddingCacheBytes = 0 });
        IEvaluationIngestor ingestor = data.PagesDirectory is { } pageDirectory
            ? new PageEvaluationIngestor(host.Get<IngestionPipeline>(), pageDirectory, progress.Ingestion)
            : new PipelineEvaluationIngestor(host.Get<IngestionPipeline>(), progress.Ingestion);

        // A question set's answers are made as 'ask' makes them without a chat model, from the same search settings.
        // A fusion grid compares rankings only: no answers.
        var answerer = data.AnswerKeys is null || grid.Count > 1 ? null
            : new AnswerServiceEvaluationAnswerer(new AnswerService(search, chat: null, new AnswerOptions { Retrieval = retrieval }));
        var evaluator = new RetrievalEvaluator(host.Get<ITenantCatalog>(), ingestor, new SearchServiceEvaluationRetriever(search, grid), queries, answerer);

        var report = await evaluator.RunAsync(data, options, progress.Stages, ct).ConfigureAwait(false);
        if (cli.Json)
        {
            CliContext.WriteJson(report);
        }
        else
        {
            EvalOutput.Print(report, arguments.Data, arguments.Limit);
        }

        if (report.CrossTenantResults > 0)
        {
            return await cli.WriteErrorAsync(
                $"{report.CrossTenantResults} results came from another tenant than their query's: tenant isolation is broken, run 'tenantrag demo' to see the leak drills", 1).ConfigureAwait(false);
        }

        return 0;
    }

    /// <summary>A question set when the directory holds one, otherwise a BEIR-format set; options that do not fit the kind are usage errors.</summary>
    private static async Task<BeirDataset> LoadAsync(EvalArguments arguments, BeirSplit split, CancellationToken ct)
    {
        if (!QuestionSetLoader.IsQuestionSet(arguments.Data!))
        {
            return arguments.Pages is null
                ? await BeirDatasetLoader.LoadAsync(arguments.Data!, split, arguments.PerTenant, ct).ConfigureAwait(false)
                : throw new UsageException($"--pages is for question sets, and '{arguments.Data}' has no {QuestionSetLoader.QuestionsFile}: drop --pages for a BEIR-format set");
        }

        return arguments.PerTenant
            ? throw new UsageException($"'{arguments.Data}' is a question set, which has no tenant files: drop --tenants")
            : await QuestionSetLoader.LoadAsync(arguments.Data!, arguments.Pages, split, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The search service's defaults, with what the command line overrides: one setting, or with several values of any
    /// fusion setting every combination (k, then vector weight, then full-text weight, then depth, then second-chunk weight, each in the order
    /// given). Out-of-range values are usage errors.
    /// </summary>
    private static List<RetrievalOptions> Retrieval(EvalArguments arguments)
    {
        var defaults = RetrievalOptions.Default with { Retriever = RetrieverKinds.Parse(arguments.Retriever) };
        var grid =
            (from k in Values(arguments.RrfK, "--rrf-k", defaults.RrfK)
             from vector in Values(arguments.VectorWeight, "--vector-weight", defaults.VectorWeight)
             from lexical in Values(arguments.LexicalWeight, "--lexical-weight", defaults.LexicalWeight)
             from depth in Values(arguments.Depth, "--depth", defaults.CandidateDepth, wholeNumbers: true)
             from second in Values(arguments.SecondChunkWeight, "--second-chunk-weight", defaults.SecondChunkWeight)
             select defaults with { RrfK = k, VectorWeight = vector, LexicalWeight = lexical, CandidateDepth = (int)depth, SecondChunkWeight = second }).ToList();
        if (grid.Count > MaxGridSize)
        {
            throw new UsageException($"the fusion settings make {grid.Count} combinations: give at most {MaxGridSize}");
        }

        try
        {
            grid.ForEach(options => options.Validate());
        }
        catch (ArgumentOutOfRangeException ex)
        {
            throw new UsageException($"retrieval setting {ex.ParamName} is out of range ({ex.ActualValue}): weights and --rrf-k must be 0 or more, --depth 1 to 1000, --second-chunk-weight 0 to 1");
        }

        return grid;
    }

    /// <summary>The comma-separated numbers of a fusion setting (repeats dropped), or its default when it is not given.</summary>
    private static List<double> Values(string? text, string option, double fallback, bool wholeNumbers = false)
    {
        if (text is null)
        {
            return [fallback];
        }

        var values = new List<double>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value)
                || (wholeNumbers && value != Math.Floor(value)))
            {
                throw new UsageException($"{option} '{UsageException.Echo(text)}' is not a number or a comma-separated list of numbers{(wholeNumbers ? " (whole numbers)" : string.Empty)}, e.g. {option} 5,10,20");
            }

            if (!values.Contains(value))
            {
                values.Add(value);
            }
        }

        return values;
    }

    private static EmbeddingPrecision QueryPrecision(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "int8" => EmbeddingPrecision.Int8,
        "float32" => EmbeddingPrecision.Float32,
        _ => throw new UsageException($"--query-precision '{UsageException.Echo(text)}' is not a precision: use int8 or float32"),
    };

    /// <summary>The evaluation tenants are named after the data directory (<c>scifact</c>), or <c>beir-eval</c> when that is no slug.</summary>
    private static string TenantPrefix(string directory)
    {
        var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory))).ToLowerInvariant();
        return TenantSlug.TryParse(name, out _) && name.Length <= 20 ? name : "beir-eval";
    }

    private sealed record EvalArguments
    {
        public string? Data { get; init; }

        public string? Pages { get; init; }

        public string? Split { get; init; }

        public bool PerTenant { get; init; }

        public string? Mode { get; init; }

        public string? Retriever { get; init; }

        public int? Limit { get; init; }

        public bool Fresh { get; init; }

        public bool Quick { get; init; }

        public string? VectorWeight { get; init; }

        public string? LexicalWeight { get; init; }

        public string? RrfK { get; init; }

        public string? Depth { get; init; }

        public string? SecondChunkWeight { get; init; }

        public string? QueryPrecision { get; init; }
    }

    /// <summary>Stage lines, and ingestion progress at most every few seconds, on stderr (stdout stays for the report).</summary>
    private sealed class EvalProgress
    {
        private long _lastIngestionLine = Stopwatch.GetTimestamp();

        public EvalProgress()
        {
            Stages = new InlineProgress<string>(line =>
            {
                // A new stage restarts the clock, so ingestion's first line comes a few seconds into ingestion.
                Interlocked.Exchange(ref _lastIngestionLine, Stopwatch.GetTimestamp());
                Console.Error.WriteLine(line);
            });
            Ingestion = new InlineProgress<IngestionProgress>(p =>
            {
                if (Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastIngestionLine)) < ProgressInterval)
                {
                    return;
                }

                Interlocked.Exchange(ref _lastIngestionLine, Stopwatch.GetTimestamp());
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  ingesting: {p.DocumentsDone}/{p.DocumentsTotal} documents, {p.Chunks} chunks, {p.ChunksPerSecond:F1} chunks/s"));
            });
        }

        public IProgress<string> Stages { get; }

        public IProgress<IngestionProgress> Ingestion { get; }
    }

    /// <summary>Reports on the calling thread (<see cref="Progress{T}"/> would post to the thread pool and reorder lines).</summary>
    private sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
