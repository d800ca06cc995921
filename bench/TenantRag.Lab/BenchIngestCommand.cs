using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using TenantRag.Postgres;
using TenantRag.Postgres.Installation;
using TenantRag.Rag.Embeddings;
using TenantRag.Rag.Ingestion;
using TenantRag.Rag.Ingestion.Pipeline;
using TenantRag.Server;
using TenantRag.Server.Auth;
using TenantRag.Tenancy;

namespace TenantRag.Lab;

/// <summary>
/// <c>tenantrag bench ingest</c>: uploads through the HTTP API next to searches, in process on loopback, over the separate
/// <c>tenantrag_bench</c> installation, with the real bundled model. Four phases, each against its target (issue 12):
/// a PDF searchable within 60 s while searches keep every core busy; ingestion with no searches at 80% or more of the
/// model's own rate; a tenant's single file behind another tenant's 1,000 within twice its time alone; and searches'
/// p99 while another tenant bulk-uploads within twice their quiet p99.
/// </summary>
internal static partial class BenchIngestCommand
{
    private const string TenantPrefix = "bench-ingest-";
    private const string BenchUser = "bench";
    private const int Seed = 20241206;

    // Targets of issue 12, for 2 cores.
    private const double TargetSearchableSeconds = 60;
    private const double TargetRateRatio = 0.8;
    private const double TargetFairnessRatio = 2;
    private const double TargetNeighbourRatio = 2;

    public static Command Create(BenchAction action)
    {
        var tenants = new Option<int>("--tenants") { Description = "Tenants searched in the loaded phases, each with its own small corpus", DefaultValueFactory = _ => 10 };
        var docs = new Option<int>("--docs") { Description = "Documents per searched tenant", DefaultValueFactory = _ => 20 };
        var clients = new Option<int>("--clients") { Description = "Search clients at full load while the PDF is uploaded", DefaultValueFactory = _ => 16 };
        var pdfChunks = new Option<int>("--pdf-chunks") { Description = "Chunks of each generated PDF", DefaultValueFactory = _ => 57 };
        var ratePdfs = new Option<int>("--rate-pdfs") { Description = "PDFs uploaded with no searches, for the rate against the model alone", DefaultValueFactory = _ => 5 };
        var bulkFiles = new Option<int>("--bulk-files") { Description = "Files one tenant queues before another tenant's single file", DefaultValueFactory = _ => 1000 };
        var singleRuns = new Option<int>("--single-runs") { Description = "Single files timed alone and behind the bulk tenant (medians compared)", DefaultValueFactory = _ => 5 };
        var neighbourClients = new Option<int>("--neighbour-clients") { Description = "Search clients of the quiet tenant in the noisy-neighbour phase", DefaultValueFactory = _ => 4 };
        var neighbourSeconds = new Option<int>("--neighbour-seconds") { Description = "Measured length of each half (quiet, noisy) of the noisy-neighbour phase", DefaultValueFactory = _ => 20 };
        var neighbourRounds = new Option<int>("--neighbour-rounds") { Description = "Alternating quiet and noisy windows the halves are cut into", DefaultValueFactory = _ => 10 };
        var uploaders = new Option<int>("--uploaders") { Description = "Concurrent bulk uploads of the noisy tenant", DefaultValueFactory = _ => 4 };
        var uploadDocs = new Option<int>("--upload-docs") { Description = "New documents per bulk upload (.jsonl) of the noisy tenant", DefaultValueFactory = _ => 10 };
        var timeout = new Option<int>("--timeout") { Description = "Longest wait, in seconds, for one upload to be stored or found", DefaultValueFactory = _ => 180 };
        var phases = new Option<string>("--phases") { Description = "The phases to run, of a (PDF under search load), b (rate), c (fairness), d (neighbour)", DefaultValueFactory = _ => "abcd" };
        var data = new Option<string?>("--data") { Description = $"A BEIR directory (corpus.jsonl, queries.jsonl) for documents and queries; default {BenchApiData.DefaultDirectory} when present, else generated text" };
        var ingest = new Command("ingest", "Uploads through the HTTP API next to searches, on loopback (in-process server over the 'tenantrag_bench' installation): a PDF under full search load, the rate with no searches against the model alone, one tenant's file behind another's bulk upload, and searches' p99 beside a bulk upload")
        {
            tenants, docs, clients, pdfChunks, ratePdfs, bulkFiles, singleRuns, neighbourClients, neighbourSeconds, neighbourRounds, uploaders, uploadDocs, timeout, phases, data,
        };
        ingest.SetAction(action(cli => RunAsync(cli, new Settings(
            cli.Parse.GetValue(tenants), cli.Parse.GetValue(docs), cli.Parse.GetValue(clients), cli.Parse.GetValue(pdfChunks), cli.Parse.GetValue(ratePdfs),
            cli.Parse.GetValue(bulkFiles), cli.Parse.GetValue(singleRuns), cli.Parse.GetValue(neighbourClients), cli.Parse.GetValue(neighbourSeconds),
            cli.Parse.GetValue(neighbourRounds), cli.Parse.GetValue(uploaders), cli.Parse.GetValue(uploadDocs), cli.Parse.GetValue(timeout),
            cli.Parse.GetValue(phases) ?? string.Empty, cli.Parse.GetValue(data)))));
        return ingest;
    }

    private sealed record Settings(int Tenants, int Docs, int Clients, int PdfChunks, int RatePdfs, int BulkFiles, int SingleRuns, int NeighbourClients,
        int NeighbourSeconds, int NeighbourRounds, int Uploaders, int UploadDocs, int Timeout, string Phases, string? Data)
    {
        public bool Runs(char phase) => Phases.Contains(phase, StringComparison.Ordinal);

        public void Validate()
        {
            if (Phases.Length is 0 or > 4 || Phases.Any(p => p is < 'a' or > 'd') || Phases.Distinct().Count() != Phases.Length)
            {
                throw new UsageException($"--phases {Phases} is not a choice of phases: give some of a, b, c and d once each, e.g. abcd or bc");
            }

            BenchServer.CheckRange("--tenants", Tenants, 1, 100);
            BenchServer.CheckRange("--docs", Docs, 1, 500);
            BenchServer.CheckRange("--clients", Clients, 1, 256);
            BenchServer.CheckRange("--pdf-chunks", PdfChunks, 1, 2000);
            BenchServer.CheckRange("--rate-pdfs", RatePdfs, 1, 100);
            BenchServer.CheckRange("--bulk-files", BulkFiles, 1, 10_000);
            BenchServer.CheckRange("--single-runs", SingleRuns, 1, 100);
            BenchServer.CheckRange("--neighbour-clients", NeighbourClients, 1, 64);
            BenchServer.CheckRange("--neighbour-seconds", NeighbourSeconds, 1, 600);
            BenchServer.CheckRange("--neighbour-rounds", NeighbourRounds, 1, 50);
            BenchServer.CheckRange("--uploaders", Uploaders, 1, 32);
            BenchServer.CheckRange("--upload-docs", UploadDocs, 1, 500);
            BenchServer.CheckRange("--timeout", Timeout, 1, 3600);
        }
    }

    /// <summary>What every phase works with: the server, its clients and the texts.</summary>
    private sealed record Bench(
        BenchContext Cli, TenantRagDatabase Database, WebApplication App, DevelopmentTokenIssuer Issuer, HttpClient Http, BenchIngestClient Client,
        BenchApiCpu Cpu, BenchApiData Data, IngestionPipeline Pipeline, IngestionOptions Limits, Settings Settings, List<BenchApiTarget> Searched,
        List<TenantSlug> Temporary)
    {
        public CancellationToken Ct => Cli.CancellationToken;

        public TimeSpan Timeout => TimeSpan.FromSeconds(Settings.Timeout);

        /// <summary>The upload model's threads' CPU time so far (zero for an injected model).</summary>
        public TimeSpan UploadCpu => (Pipeline.Generator as LowPriorityEmbeddingGenerator)?.BackgroundCpuTime ?? TimeSpan.Zero;

        /// <summary>Where the generated documents start in the corpus: after the searched tenants' ones.</summary>
        public int Offset => Settings.Tenants * Settings.Docs;

        /// <summary>
        /// A new, empty tenant of the bench (one left by an earlier run is deleted first), deleted once the server has
        /// stopped (so that nothing of it, usage counts included, is still being written).
        /// </summary>
        public async Task<BenchApiTarget> FreshTenantAsync(string name)
        {
            var slug = TenantSlug.Parse(TenantPrefix + name);
            await DeleteTenantAsync(Database, slug).ConfigureAwait(false);
            await Database.Catalog.CreateAsync(slug, TenancyMode.Shared, Ct).ConfigureAwait(false);
            Database.Sessions.Invalidate(slug);
            Temporary.Add(slug);
            return new BenchApiTarget(slug.Value, Issuer.Issue(slug, UserId.Parse(BenchUser), TimeSpan.FromHours(2), []));
        }
    }

    private static async Task DeleteTenantAsync(TenantRagDatabase database, TenantSlug slug)
    {
        if (await database.Catalog.FindAsync(slug, CancellationToken.None).ConfigureAwait(false) is not null)
        {
            await database.Catalog.DeleteAsync(slug, CancellationToken.None).ConfigureAwait(false);
            database.Sessions.Invalidate(slug);
        }
    }

    private static async Task<int> RunAsync(BenchContext cli, Settings settings)
    {
        settings.Validate();
        var ct = cli.CancellationToken;
        var loadBefore = BenchServer.LoadAverage();
        var data = await BenchApiData.LoadAsync(settings.Data, Seed, ct).ConfigureAwait(false);
        BenchServer.Say(cli, $"bench ingest: texts from {data.Source}; {Environment.ProcessorCount} cores; load average before: {loadBefore}");

        await using var database = await cli.OpenDatabaseAsync(new TenancyOptions { Prefix = "tenantrag_bench" }).ConfigureAwait(false);
        await using var app = BenchServer.Build(cli, database);
        var pipeline = app.Services.GetRequiredService<IngestionPipeline>();
        var slugs = Enumerable.Range(0, settings.Tenants).Select(i => TenantSlug.Parse($"{TenantPrefix}s{i:D2}")).ToList();
        var seeding = await BenchApiCommand.SeedAsync(cli, database, pipeline, data, slugs, settings.Docs, ct).ConfigureAwait(false);
        BenchServer.Say(cli, FormattableString.Invariant(
            $"searched tenants ready in {seeding.Seconds:F1} s: {settings.Tenants} x {settings.Docs} documents ({seeding.Added} added, {seeding.Unchanged} unchanged)"));

        var temporary = new List<TenantSlug>();
        await app.StartAsync(ct).ConfigureAwait(false);
        try
        {
            var issuer = DevelopmentTokenIssuer.LoadOrCreate(cli.Home);
            var connections = settings.Clients + settings.NeighbourClients + settings.Uploaders + 64;
            using var handler = new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = connections, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) };
            using var http = new HttpClient(handler) { BaseAddress = BenchServer.LoopbackAddress(app), Timeout = TimeSpan.FromSeconds(settings.Timeout + 30) };
            var bench = new Bench(cli, database, app, issuer, http, new BenchIngestClient(http, TimeSpan.FromSeconds(settings.Timeout)), BenchApiCpu.Create(cli),
                data, pipeline, app.Services.GetRequiredService<IngestionOptions>(), settings,
                [.. slugs.Select(s => new BenchApiTarget(s.Value, issuer.Issue(s, UserId.Parse(BenchUser), TimeSpan.FromHours(2), [])))], temporary);
            var model = pipeline.Generator as LowPriorityEmbeddingGenerator;
            var server = app.Services.GetRequiredService<ServerOptions>();
            BenchServer.Say(cli, $"server on {http.BaseAddress} (in process); upload embedding at {model?.BackgroundPriority ?? "the injected model's own priority"}; "
                + $"minimum share: {model?.BackgroundShare ?? "none"}; ingestion concurrency {server.IngestConcurrency} per tenant");

            await WarmUpAsync(bench).ConfigureAwait(false);
            var underLoad = settings.Runs('a') ? await UnderSearchLoadAsync(bench).ConfigureAwait(false) : null;
            var rate = settings.Runs('b') ? await RateAsync(bench).ConfigureAwait(false) : null;
            var fairness = settings.Runs('c') ? await FairnessAsync(bench).ConfigureAwait(false) : null;
            var neighbour = settings.Runs('d') ? await NeighbourAsync(bench).ConfigureAwait(false) : null;
            var loadAfter = BenchServer.LoadAverage();

            var targets = new
            {
                searchableSeconds = TargetSearchableSeconds,
                rateRatio = TargetRateRatio,
                fairnessRatio = TargetFairnessRatio,
                neighbourP99Ratio = TargetNeighbourRatio,
                searchableMet = underLoad is null ? (bool?)null : underLoad.Loaded.SearchableSeconds is <= TargetSearchableSeconds,
                rateMet = rate is null ? (bool?)null : rate.Ratio >= TargetRateRatio,
                fairnessMet = fairness is null ? (bool?)null : fairness.Ratio is <= TargetFairnessRatio,
                neighbourMet = neighbour is null ? (bool?)null : neighbour.Ratio <= TargetNeighbourRatio,
            };
            BenchServer.Say(cli, FormattableString.Invariant(
                $"targets (2 cores): searchable within {TargetSearchableSeconds} s under full search load {Met(targets.searchableMet)}; rate >= {TargetRateRatio:P0} of the model alone {Met(targets.rateMet)}; single file behind a bulk upload within {TargetFairnessRatio}x alone {Met(targets.fairnessMet)}; neighbour p99 ratio <= {TargetNeighbourRatio} {Met(targets.neighbourMet)}"));
            BenchServer.Say(cli, $"load average after: {loadAfter}");
            if (cli.Json)
            {
                cli.WriteJson(new
                {
                    benchmark = "ingest",
                    server = http.BaseAddress?.ToString(),
                    cores = Environment.ProcessorCount,
                    loadAverageBefore = loadBefore,
                    loadAverageAfter = loadAfter,
                    data = data.Source,
                    uploadPriority = model?.BackgroundPriority,
                    minimumShare = model?.BackgroundShare,
                    seeding,
                    underLoad,
                    rate,
                    fairness,
                    neighbour,
                    targets,
                });
            }

            return 0;
        }
        finally
        {
            await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
            foreach (var slug in temporary)
            {
                await DeleteTenantAsync(database, slug).ConfigureAwait(false);
            }
        }
    }

    private static string Met(bool? met) => met switch
    {
        true => "met",
        false => "NOT met",
        null => "not measured",
    };

    // One search per searched tenant loads its index; one small upload compiles the upload path before anything is timed.
    private static async Task WarmUpAsync(Bench bench)
    {
        foreach (var target in bench.Searched)
        {
            await bench.Client.FindsAsync(target, bench.Data.Queries[0], bench.Ct).ConfigureAwait(false);
        }

        var warm = await bench.FreshTenantAsync("warm").ConfigureAwait(false);
        var document = bench.Data.Corpus[bench.Offset % bench.Data.Corpus.Count];
        var upload = await bench.Client.UploadAsync(warm, "warm.md", Markdown(document), "text/markdown", WaitSeconds(bench), PollInterval, bench.Ct)
            .ConfigureAwait(false);
        if (!upload.Stored)
        {
            throw new BenchFailedException($"the warm-up upload was not stored ({upload.Outcome}): the server is not accepting uploads");
        }
    }

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    // How long a job server may hold an upload's request open for its job (Prefer: wait), at most 60 s.
    private static int WaitSeconds(Bench bench) => Math.Min(60, bench.Settings.Timeout);

    private static byte[] Markdown(BenchApiDocument document) => System.Text.Encoding.UTF8.GetBytes($"# {document.Title}\n\n{document.Text}\n");
}
