using System.CommandLine;
using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using TenantRag.Postgres;
using TenantRag.Postgres.Installation;
using TenantRag.Rag.Embeddings;
using TenantRag.Rag.Ingestion.Pipeline;
using TenantRag.Server;
using TenantRag.Server.Auth;
using TenantRag.Tenancy;

namespace TenantRag.Lab;

/// <summary>
/// <c>tenantrag bench api</c>: the HTTP API under load, in process on loopback, over the separate
/// <c>tenantrag_bench</c> installation. Throughput and latency of <c>POST /v1/search</c> across many small tenants
/// (repeated queries, then queries each sent once), and one tenant's search latency while another bulk-uploads.
/// </summary>
internal static class BenchApiCommand
{
    private const string TenantPrefix = "bench-api-";
    private const string NoisySlug = "bench-api-noisy";
    private const string BenchUser = "bench";
    private const int SearchK = 10;
    private const int Seed = 20240604;
    private const int MaxUploads = 10_000;

    // Targets of issue 4, for 2 cores.
    private const double TargetRequestsPerSecond = 300;
    private const double TargetP99Ms = 100;
    private const double TargetNeighbourRatio = 2;

    private static readonly TimeSpan JitWarmUp = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan UploadHeadStart = TimeSpan.FromSeconds(0.5);
    private static readonly TimeSpan NeighbourWarmUp = TimeSpan.FromSeconds(3);
    private const int WarmUpUploads = 4;

    public static Command Create(BenchAction action)
    {
        var tenants = new Option<int>("--tenants") { Description = "Tenants (shared model), each with its own small corpus", DefaultValueFactory = _ => 50 };
        var docs = new Option<int>("--docs") { Description = "Documents per tenant", DefaultValueFactory = _ => 20 };
        var clients = new Option<int>("--clients") { Description = "Concurrent search clients in the throughput phases", DefaultValueFactory = _ => 16 };
        var seconds = new Option<int>("--seconds") { Description = "Length of each throughput phase", DefaultValueFactory = _ => 20 };
        var data = new Option<string?>("--data") { Description = $"A BEIR directory (corpus.jsonl, queries.jsonl) for documents and queries; default {BenchApiData.DefaultDirectory} when present, else generated text" };
        var neighbourClients = new Option<int>("--neighbour-clients") { Description = "Search clients of the quiet tenant in the noisy-neighbour phase", DefaultValueFactory = _ => 4 };
        var neighbourSeconds = new Option<int>("--neighbour-seconds") { Description = "Measured length of each half (quiet, noisy) of the noisy-neighbour phase", DefaultValueFactory = _ => 20 };
        var neighbourRounds = new Option<int>("--neighbour-rounds") { Description = "Alternating quiet and noisy windows the halves are cut into", DefaultValueFactory = _ => 10 };
        var uploaders = new Option<int>("--uploaders") { Description = "Concurrent bulk uploads of the noisy tenant", DefaultValueFactory = _ => 4 };
        var uploadDocs = new Option<int>("--upload-docs") { Description = "New documents per bulk upload (.jsonl)", DefaultValueFactory = _ => 10 };
        var api = new Command("api", "POST /v1/search under load on loopback (in-process server over the 'tenantrag_bench' installation): requests/s and p50/p95/p99, then one tenant's p99 while another bulk-uploads")
        {
            tenants, docs, clients, seconds, data, neighbourClients, neighbourSeconds, neighbourRounds, uploaders, uploadDocs,
        };
        api.SetAction(action(cli => RunAsync(cli, new Settings(
            cli.Parse.GetValue(tenants), cli.Parse.GetValue(docs), cli.Parse.GetValue(clients), cli.Parse.GetValue(seconds), cli.Parse.GetValue(data),
            cli.Parse.GetValue(neighbourClients), cli.Parse.GetValue(neighbourSeconds), cli.Parse.GetValue(neighbourRounds), cli.Parse.GetValue(uploaders), cli.Parse.GetValue(uploadDocs)))));
        return api;
    }

    private sealed record Settings(int Tenants, int Docs, int Clients, int Seconds, string? Data, int NeighbourClients, int NeighbourSeconds, int NeighbourRounds, int Uploaders, int UploadDocs)
    {
        public void Validate()
        {
            BenchServer.CheckRange("--tenants", Tenants, 1, 100);
            BenchServer.CheckRange("--docs", Docs, 1, 500);
            BenchServer.CheckRange("--clients", Clients, 1, 256);
            BenchServer.CheckRange("--seconds", Seconds, 1, 600);
            BenchServer.CheckRange("--neighbour-clients", NeighbourClients, 1, 64);
            BenchServer.CheckRange("--neighbour-seconds", NeighbourSeconds, 1, 600);
            BenchServer.CheckRange("--neighbour-rounds", NeighbourRounds, 1, 50);
            BenchServer.CheckRange("--uploaders", Uploaders, 1, 32);
            BenchServer.CheckRange("--upload-docs", UploadDocs, 1, 500);
        }
    }

    private static async Task<int> RunAsync(BenchContext cli, Settings settings)
    {
        settings.Validate();
        var ct = cli.CancellationToken;
        var loadBefore = BenchServer.LoadAverage();
        var data = await BenchApiData.LoadAsync(settings.Data, Seed, ct).ConfigureAwait(false);
        BenchServer.Say(cli, $"bench api: {settings.Tenants} tenants x {settings.Docs} documents from {data.Source}; {Environment.ProcessorCount} cores; load average before: {loadBefore}");

        await using var database = await cli.OpenDatabaseAsync(new TenancyOptions { Prefix = "tenantrag_bench" }).ConfigureAwait(false);
        await using var app = BenchServer.Build(cli, database);

        // Seed through the server's own ingestion pipeline (not HTTP); unchanged documents are skipped by content hash.
        var pipeline = app.Services.GetRequiredService<IngestionPipeline>();
        var slugs = Enumerable.Range(0, settings.Tenants).Select(i => TenantSlug.Parse($"{TenantPrefix}{i:D2}")).ToList();
        var seeding = await SeedAsync(cli, database, pipeline, data, slugs, settings.Docs, ct).ConfigureAwait(false);
        BenchServer.Say(cli, FormattableString.Invariant(
            $"corpora ready in {seeding.Seconds:F1} s: {seeding.Added} documents added, {seeding.Unchanged} unchanged, {seeding.Created} tenants created"));

        await app.StartAsync(ct).ConfigureAwait(false);
        try
        {
            var baseAddress = BenchServer.LoopbackAddress(app);
            var issuer = DevelopmentTokenIssuer.LoadOrCreate(cli.Home);
            var targets = slugs.Select(s => new BenchApiTarget(s.Value, issuer.Issue(s, UserId.Parse(BenchUser), TimeSpan.FromHours(2), []))).ToList();
            using var handler = new SocketsHttpHandler
            {
                UseProxy = false,
                MaxConnectionsPerServer = settings.Clients + settings.NeighbourClients + settings.Uploaders + 4,
                PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            };
            using var http = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
            var cacheBefore = BenchApiQueryCache.Read(app.Services);
            var cpu = BenchApiCpu.Create(cli);
            BenchServer.Say(cli, $"server on {baseAddress} (in process); query-embedding cache: {cacheBefore.Describe()}");

            // Warm-up: one search per tenant loads its vector index; then a short unmeasured load for the JIT and pools.
            foreach (var target in targets)
            {
                var (ok, _, kind) = await BenchApiLoad.SearchOnceAsync(http, target, data.Queries[0], SearchK, ct).ConfigureAwait(false);
                if (!ok)
                {
                    throw new BenchFailedException($"the warm-up search of {target.Tenant} failed with {kind}: the server is not answering searches");
                }
            }

            var random = RepeatedPicker(targets, data.Queries);
            await BenchApiLoad.SearchAsync(http, cpu, settings.Clients, JitWarmUp, SearchK, Seed, random, ct).ConfigureAwait(false);

            BenchServer.Say(cli, $"phase 1: {settings.Clients} clients, {settings.Seconds} s, random tenant, random query of {data.Queries.Count} (they repeat)");
            var cacheAtRepeated = BenchApiQueryCache.Read(app.Services);
            var repeated = await BenchApiLoad.SearchAsync(http, cpu, settings.Clients, TimeSpan.FromSeconds(settings.Seconds), SearchK, Seed + 1, random, ct).ConfigureAwait(false);
            var repeatedCache = BenchApiQueryCache.Read(app.Services).Since(cacheAtRepeated);
            BenchServer.Say(cli, $"  repeated queries: {repeated.Describe()}");
            BenchServer.Say(cli, $"  {repeated.DescribeCpu()}{Ceiling(repeated)}");
            BenchServer.Say(cli, $"  query-embedding cache during the phase: {repeatedCache.DescribeCounts()}");

            BenchServer.Say(cli, $"phase 2: {settings.Clients} clients, {settings.Seconds} s, random tenant, every query a text not sent before ({data.DistinctQueries.Count} available)");
            var cacheAtDistinct = BenchApiQueryCache.Read(app.Services);
            var distinct = await BenchApiLoad.SearchAsync(http, cpu, settings.Clients, TimeSpan.FromSeconds(settings.Seconds), SearchK, Seed + 2,
                DistinctPicker(targets, data.DistinctQueries), ct).ConfigureAwait(false);
            var distinctCache = BenchApiQueryCache.Read(app.Services).Since(cacheAtDistinct);
            BenchServer.Say(cli, $"  distinct queries: {distinct.Describe()}");
            BenchServer.Say(cli, $"  {distinct.DescribeCpu()}{Ceiling(distinct)}");
            BenchServer.Say(cli, $"  query-embedding cache during the phase: {distinctCache.DescribeCounts()}");

            var neighbour = await NoisyNeighbourAsync(cli, database, issuer, http, cpu, app, targets[0], data, settings, ct).ConfigureAwait(false);
            var loadAfter = BenchServer.LoadAverage();

            var repeatedMet = Meets(repeated);
            var distinctMet = Meets(distinct);
            var ratioMet = neighbour.Ratio <= TargetNeighbourRatio;
            BenchServer.Say(cli, FormattableString.Invariant(
                $"target (2 cores) >= {TargetRequestsPerSecond} requests/s with p99 <= {TargetP99Ms} ms: repeated queries {(repeatedMet ? "met" : "NOT met")}, distinct queries {(distinctMet ? "met" : "NOT met")}; neighbour p99 ratio <= {TargetNeighbourRatio}: {(ratioMet ? "met" : "NOT met")}"));
            BenchServer.Say(cli, $"load average after: {loadAfter}");

            if (cli.Json)
            {
                cli.WriteJson(new
                {
                    benchmark = "api",
                    server = baseAddress.ToString(),
                    cores = Environment.ProcessorCount,
                    loadAverageBefore = loadBefore,
                    loadAverageAfter = loadAfter,
                    data = data.Source,
                    tenants = settings.Tenants,
                    documentsPerTenant = settings.Docs,
                    seeding,
                    queryEmbeddingCache = new { enabled = cacheBefore.Enabled, capacityBytes = cacheBefore.Capacity },
                    repeated = new { figures = repeated, queryTexts = data.Queries.Count, cache = repeatedCache },
                    distinct = new { figures = distinct, cache = distinctCache },
                    neighbour,
                    targets = new
                    {
                        requestsPerSecond = TargetRequestsPerSecond,
                        p99Ms = TargetP99Ms,
                        neighbourP99Ratio = TargetNeighbourRatio,
                        repeatedMet,
                        distinctMet,
                        neighbourMet = ratioMet,
                    },
                });
            }

            return 0;
        }
        finally
        {
            await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static string Ceiling(BenchApiLoadFigures figures) => figures.CpuBoundRequestsPerSecond is { } ceiling
        ? FormattableString.Invariant($"; so about {ceiling:F0} requests/s if all {Environment.ProcessorCount} cores did nothing else")
        : string.Empty;

    private static bool Meets(BenchApiLoadFigures figures) =>
        figures.Errors == 0 && figures.RequestsPerSecond >= TargetRequestsPerSecond && figures.P99Ms <= TargetP99Ms;

    internal sealed record SeedFigures(double Seconds, int Created, int Added, int Replaced, int Unchanged, long Chunks);

    internal static async Task<SeedFigures> SeedAsync(BenchContext cli, TenantRagDatabase database, IngestionPipeline pipeline, BenchApiData data,
        List<TenantSlug> slugs, int docs, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        int created = 0, added = 0, replaced = 0, unchanged = 0;
        long chunks = 0;
        await BenchCommands.AnsiConsoleProgressAsync(cli, $"preparing {slugs.Count} tenants x {docs} documents", slugs.Count, async tick =>
        {
            for (var t = 0; t < slugs.Count; t++)
            {
                if (await database.Catalog.FindAsync(slugs[t], ct).ConfigureAwait(false) is null)
                {
                    await database.Catalog.CreateAsync(slugs[t], TenancyMode.Shared, ct).ConfigureAwait(false);
                    created++;
                }

                var inputs = Enumerable.Range(0, docs).Select(j =>
                {
                    var d = data.Corpus[((t * docs) + j) % data.Corpus.Count];
                    return IngestionInput.FromBytes($"{d.Id}.md", Encoding.UTF8.GetBytes($"# {d.Title}\n\n{d.Text}\n"), source: $"bench:{d.Id}");
                }).ToList();
                var summary = await pipeline.IngestAsync(new IngestionRequest { Context = TenantContext.For(slugs[t], UserId.Parse(BenchUser)), Inputs = inputs }, null, ct).ConfigureAwait(false);
                if (summary.HasRejections)
                {
                    throw new BenchFailedException($"seeding {slugs[t]} rejected {summary.Rejected.Count} documents: {summary.Rejected[0]}");
                }

                added += summary.Added;
                replaced += summary.Replaced;
                unchanged += summary.Unchanged;
                chunks += summary.Chunks;
                tick();
            }
        }).ConfigureAwait(false);
        return new SeedFigures(Math.Round(watch.Elapsed.TotalSeconds, 2), created, added, replaced, unchanged, chunks);
    }

    private static Func<Random, (BenchApiTarget, string)?> RepeatedPicker(List<BenchApiTarget> targets, IReadOnlyList<string> queries) =>
        random => (targets[random.Next(targets.Count)], queries[random.Next(queries.Count)]);

    private static Func<Random, (BenchApiTarget, string)?> DistinctPicker(List<BenchApiTarget> targets, IReadOnlyList<string> queries)
    {
        var next = -1;
        return random =>
        {
            var index = Interlocked.Increment(ref next);
            return index < queries.Count ? (targets[random.Next(targets.Count)], queries[index]) : null;
        };
    }

    private sealed record NeighbourFigures(
        string QuietTenant, string NoisyTenant, int IngestConcurrencyPerTenant, BenchApiLoadFigures Quiet, BenchApiLoadFigures Noisy,
        BenchApiUploadFigures Uploads, double Ratio);

    private static async Task<NeighbourFigures> NoisyNeighbourAsync(BenchContext cli, TenantRagDatabase database, DevelopmentTokenIssuer issuer, HttpClient http, BenchApiCpu cpu,
        WebApplication app, BenchApiTarget quietTarget, BenchApiData data, Settings settings, CancellationToken ct)
    {
        // The noisy tenant starts empty every run, so everything it uploads is new (nothing is skipped as unchanged).
        var noisySlug = TenantSlug.Parse(NoisySlug);
        if (await database.Catalog.FindAsync(noisySlug, ct).ConfigureAwait(false) is not null)
        {
            await database.Catalog.DeleteAsync(noisySlug, ct).ConfigureAwait(false);
        }

        await database.Catalog.CreateAsync(noisySlug, TenancyMode.Shared, ct).ConfigureAwait(false);
        database.Sessions.Invalidate(noisySlug);
        var noisy = new BenchApiTarget(NoisySlug, issuer.Issue(noisySlug, UserId.Parse(BenchUser), TimeSpan.FromHours(2), []));
        var ingestConcurrency = app.Services.GetRequiredService<ServerOptions>().IngestConcurrency;
        var uploadPriority = app.Services.GetRequiredService<IngestionPipeline>().Generator is LowPriorityEmbeddingGenerator model
            ? model.BackgroundPriority ?? "normal priority (the platform refused to lower it)"
            : "the injected model's own";
        var duration = TimeSpan.FromSeconds(settings.NeighbourSeconds);
        var quietOnly = new List<BenchApiTarget> { quietTarget };
        try
        {
            BenchServer.Say(cli, $"phase 3: noisy neighbour: {quietTarget.Tenant} searched by {settings.NeighbourClients} clients for {settings.NeighbourSeconds} s quiet and {settings.NeighbourSeconds} s while {NoisySlug} bulk-uploads, in {settings.NeighbourRounds} alternating rounds ({settings.Uploaders} concurrent uploads of {settings.UploadDocs} new documents; ingestion concurrency {ingestConcurrency} per tenant; upload embedding at {uploadPriority})");
            var offset = settings.Tenants * settings.Docs;
            byte[] Batch(int index) => BenchApiLoad.Jsonl(Enumerable.Range(0, settings.UploadDocs).Select(j =>
            {
                var position = offset + (index * settings.UploadDocs) + j;
                var d = data.Corpus[position % data.Corpus.Count];
                var round = position / data.Corpus.Count;
                return new BenchApiDocument($"n{index}-{j}", d.Title, round == 0 ? d.Text : $"{d.Text} (copy {round})");
            }));

            // Warm-up, not measured: a few uploads while the quiet tenant searches, so the upload path is compiled (and
            // tiered-up) before either half is measured; a server that has run for a while has all its paths compiled.
            // Their documents come after the measured ones (indexes from MaxUploads on), so the noisy half still adds
            // only new text.
            using (var warmUpStop = new CancellationTokenSource())
            {
                var warmUploads = BenchApiLoad.UploadAsync(http, noisy, settings.Uploaders, settings.UploadDocs, WarmUpUploads,
                    index => Batch(MaxUploads + index), warmUpStop.Token, ct);
                await BenchApiLoad.SearchAsync(http, cpu, settings.NeighbourClients, NeighbourWarmUp, SearchK, Seed + 5, RepeatedPicker(quietOnly, data.Queries), ct).ConfigureAwait(false);
                await warmUpStop.CancelAsync().ConfigureAwait(false);
                var warmedUp = await warmUploads.ConfigureAwait(false);
                if (warmedUp.Errors > 0 || warmedUp.DocumentsAdded == 0)
                {
                    throw new BenchFailedException($"the warm-up uploads of {NoisySlug} failed ({warmedUp.Errors} errors, {warmedUp.DocumentsAdded} documents added): the server is not accepting uploads");
                }

                await BenchApiLoad.SearchAsync(http, cpu, settings.NeighbourClients, JitWarmUp, SearchK, Seed + 6, RepeatedPicker(quietOnly, data.Queries), ct).ConfigureAwait(false);
            }

            // Quiet and noisy windows alternate, so a machine that slows down or speeds up during the phase (other virtual
            // machines on the host, the database's own background work) weighs on both halves alike.
            var window = duration / settings.NeighbourRounds;
            var quietWindows = new List<BenchApiWindow>(settings.NeighbourRounds);
            var noisyWindows = new List<BenchApiWindow>(settings.NeighbourRounds);
            var uploadRuns = new List<BenchApiUploadFigures>(settings.NeighbourRounds);
            var uploadIndex = -1;
            byte[] NextBatch(int _) => Batch(Interlocked.Increment(ref uploadIndex));
            for (var round = 0; round < settings.NeighbourRounds; round++)
            {
                quietWindows.Add(await BenchApiLoad.MeasureAsync(http, cpu, settings.NeighbourClients, window, SearchK, Seed + 3 + (2 * round),
                    RepeatedPicker(quietOnly, data.Queries), ct).ConfigureAwait(false));

                using var stop = new CancellationTokenSource();
                var uploads = BenchApiLoad.UploadAsync(http, noisy, settings.Uploaders, settings.UploadDocs, MaxUploads, NextBatch, stop.Token, ct);
                try
                {
                    await Task.Delay(UploadHeadStart, ct).ConfigureAwait(false);
                    noisyWindows.Add(await BenchApiLoad.MeasureAsync(http, cpu, settings.NeighbourClients, window, SearchK, Seed + 4 + (2 * round),
                        RepeatedPicker(quietOnly, data.Queries), ct).ConfigureAwait(false));
                }
                finally
                {
                    // Stop starting uploads and let those in flight finish (on failure too, before the tenant is deleted), so the
                    // next quiet window is quiet.
                    await stop.CancelAsync().ConfigureAwait(false);
                    await ((Task)uploads).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }

                uploadRuns.Add(await uploads.ConfigureAwait(false));
            }

            var quiet = BenchApiLoad.Summarize(quietWindows);
            var busy = BenchApiLoad.Summarize(noisyWindows);
            var uploaded = BenchApiUploadFigures.Combine(uploadRuns);
            BenchServer.Say(cli, $"  quiet: {quiet.Describe()}");
            BenchServer.Say(cli, $"         {quiet.DescribeCpu()}");
            var ratio = quiet.P99Ms > 0 ? Math.Round(busy.P99Ms / quiet.P99Ms, 2) : double.NaN;
            BenchServer.Say(cli, $"  noisy: {busy.Describe()}");
            BenchServer.Say(cli, $"         {busy.DescribeCpu()}");
            BenchServer.Say(cli, FormattableString.Invariant(
                $"  meanwhile {NoisySlug}: {uploaded.Uploads} uploads, {uploaded.DocumentsAdded} documents added ({uploaded.DocumentsPerSecond:F1}/s), {uploaded.Chunks} chunks ({uploaded.ChunksPerSecond:F1}/s), {uploaded.Throttled} throttled (429), {uploaded.Errors} errors in {uploaded.Seconds:F1} s"));
            BenchServer.Say(cli, FormattableString.Invariant($"  p99 noisy / quiet: {busy.P99Ms:F1} / {quiet.P99Ms:F1} ms = {ratio:F2}x (target <= {TargetNeighbourRatio}x)"));
            return new NeighbourFigures(quietTarget.Tenant, NoisySlug, ingestConcurrency, quiet, busy, uploaded, ratio);
        }
        finally
        {
            await database.Catalog.DeleteAsync(noisySlug, CancellationToken.None).ConfigureAwait(false);
            database.Sessions.Invalidate(noisySlug);
        }
    }
}
