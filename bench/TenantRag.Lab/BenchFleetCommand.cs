using System.Collections.Concurrent;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Npgsql;
using TenantRag.Postgres;
using TenantRag.Postgres.Cluster;
using TenantRag.Postgres.Installation;
using TenantRag.Rag.Embeddings;
using TenantRag.Rag.Ingestion.Pipeline;
using TenantRag.Server.Auth;
using TenantRag.Tenancy;

namespace TenantRag.Lab;

/// <summary>
/// <c>tenantrag bench fleet</c>: the cost of a tenant at fleet size, on a throwaway cluster with a real <c>serve</c>
/// process. Creates N tenants (shared and dedicated) through the catalog, gives each a few small documents through the
/// ingestion pipeline and a few tenants many seeded chunks, then searches over HTTP with Zipf-distributed tenant
/// popularity: create times, disk per tenant, memory, connections, hot and cold search latency, a cold big tenant's
/// first answer, and what idle tenants still hold after the idle timeout.
/// </summary>
internal static class BenchFleetCommand
{
    private const int Seed = 20250115;
    private const int SharedOneAtATime = 200;
    private const int DedicatedOneAtATime = 10;
    private static readonly TimeSpan SampleEvery = TimeSpan.FromSeconds(1);

    public static Command Create(BenchAction action)
    {
        var tenants = new Option<int>("--tenants") { Description = "Tenants in all, shared and dedicated", DefaultValueFactory = _ => 10_000 };
        var dedicated = new Option<int>("--dedicated") { Description = "Of them, tenants with a database of their own", DefaultValueFactory = _ => 100 };
        var big = new Option<int>("--big") { Description = "Of them, tenants given --big-chunks chunks each (for the cold first answer)", DefaultValueFactory = _ => 3 };
        var bigChunks = new Option<int>("--big-chunks") { Description = "Chunks of each big tenant", DefaultValueFactory = _ => 10_000 };
        var docs = new Option<int>("--docs") { Description = "Small documents of every tenant (the same texts in each)", DefaultValueFactory = _ => 3 };
        var idle = new Option<string>("--idle-timeout") { Description = "The server's idle timeout (Database:IdleTimeout); cold = untouched longer than this", DefaultValueFactory = _ => "30s" };
        var seconds = new Option<int>("--seconds") { Description = "Length of each search phase (10 tenants, then all)", DefaultValueFactory = _ => 30 };
        var clients = new Option<int>("--clients") { Description = "Concurrent search clients", DefaultValueFactory = _ => 4 };
        var rate = new Option<int>("--rate") { Description = "Searches a second, all clients together", DefaultValueFactory = _ => 40 };
        var parallel = new Option<int>("--parallel") { Description = "Tenants created, and ingested, at once", DefaultValueFactory = _ => 8 };
        var command = new Command("fleet", "Cost per tenant at fleet size on a throwaway cluster and a real serve process: create p50/p95, disk per tenant, "
            + "memory, connections, hot/cold search p50/p95 (Zipf popularity), a cold big tenant's first answer, what idle tenants hold")
        {
            tenants, dedicated, big, bigChunks, docs, idle, seconds, clients, rate, parallel,
        };
        command.SetAction(action(cli => RunAsync(cli, new BenchFleetSettings(cli.Parse.GetValue(tenants), cli.Parse.GetValue(dedicated), cli.Parse.GetValue(big),
            cli.Parse.GetValue(bigChunks), cli.Parse.GetValue(docs), BenchFleetSettings.ParseDuration("--idle-timeout", cli.Parse.GetValue(idle)),
            cli.Parse.GetValue(seconds), cli.Parse.GetValue(clients), cli.Parse.GetValue(rate), cli.Parse.GetValue(parallel)))));
        return command;
    }

    private static async Task<int> RunAsync(BenchContext cli, BenchFleetSettings settings)
    {
        settings.Validate();
        var ct = cli.CancellationToken;
        var report = new BenchFleetReport(settings) { LoadAverageBefore = BenchServer.LoadAverage() };
        var total = Stopwatch.StartNew();
        BenchServer.Say(cli, $"bench fleet: {settings.Tenants} tenants ({settings.Shared} shared, {settings.Dedicated} dedicated, {settings.Big} with {settings.BigChunks} chunks), "
            + $"idle timeout {BenchFleetSettings.Duration(settings.IdleTimeout)}; {Environment.ProcessorCount} cores; load average before: {report.LoadAverageBefore}");

        var home = new TenantRagHome(Path.Combine(Path.GetTempPath(), "tenantrag-bench-fleet-" + Environment.ProcessId));
        home.EnsureExists();
        report.Home = home.Root;
        var secrets = Secrets.LoadOrCreate(home);
        var clusterOptions = new EmbeddedClusterOptions { MaxConnections = 400, LogicalReplication = false };
        var cluster = await EmbeddedCluster.OpenAsync(home, secrets, clusterOptions, ct).ConfigureAwait(false);
        TenantRagDatabase? database = null;
        BenchFleetMetrics? metrics = null;
        BenchFleetServe? serve = null;
        BenchFleetProbe? probe = null;
        try
        {
            var endpoint = await cluster.EnsureStartedAsync(ct).ConfigureAwait(false);
            database = await TenantRagDatabase.OpenAsync(endpoint, secrets, new TenancyOptions(), cancellationToken: ct).ConfigureAwait(false);
            probe = new BenchFleetProbe(endpoint, database.Installation.Names);
            report.MaxConnections = await probe.MaxConnectionsAsync(ct).ConfigureAwait(false);
            metrics = BenchFleetMetrics.Start();
            serve = await BenchFleetServe.StartAsync(ServeEnvironment(home, endpoint, settings.IdleTimeout, metrics), ct).ConfigureAwait(false);
            BenchServer.Say(cli, $"throwaway cluster in {home.Root} on port {endpoint.Port} (fsync on, as the product's default), serve process {serve.Id} on {serve.Address}");

            var issuer = DevelopmentTokenIssuer.LoadOrCreate(home);
            var tokens = new ConcurrentDictionary<string, BenchApiTarget>(StringComparer.Ordinal);
            BenchApiTarget Target(TenantSlug slug) => tokens.GetOrAdd(slug.Value, _ => new BenchApiTarget(slug.Value, issuer.Issue(slug, UserId.Parse("bench"), TimeSpan.FromHours(4), [])));
            using var handler = new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = settings.Clients + 4, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(30) };
            using var http = new HttpClient(handler) { BaseAddress = serve.Address, Timeout = TimeSpan.FromSeconds(120) };
            var lastWritten = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
            var workload = new BenchFleetWorkload(http, Target, settings.IdleTimeout, lastWritten);

            var fleet = Fleet(settings);
            var first = fleet.Take(BenchFleetSettings.FirstTenants).ToList();
            using var model = new MiniLmEmbeddingGenerator();
            var embeddings = new BenchFleetEmbeddings(model);
            var pipeline = new IngestionPipeline(database.Documents, embeddings, model.Tokenizer);

            // 1. Ten tenants, searched alone: the baseline of hot latency.
            await BenchFleetBuilder.CreateAsync(cli, database, first, TenancyMode.Shared, 0, settings.Parallel, ct).ConfigureAwait(false);
            var firstIngest = await BenchFleetBuilder.IngestAsync(cli, pipeline, first, settings.Docs, settings.Parallel, lastWritten, ct).ConfigureAwait(false);
            // Warm-up, not measured: the server's code paths compiled and tiered up, the ten tenants' indexes loaded.
            var warmUp = TimeSpan.FromSeconds(Math.Clamp(settings.Seconds, 2, 10));
            await workload.RunAsync(first, first.Count, settings.Clients, settings.Rate, warmUp, Seed, ct).ConfigureAwait(false);
            BenchServer.Say(cli, $"phase 1: {first.Count} tenants, Zipf s={BenchFleetWorkload.ZipfExponent}, {settings.Rate} searches/s by {settings.Clients} clients for {settings.Seconds} s");
            report.Hot10 = await workload.RunAsync(first, first.Count, settings.Clients, settings.Rate, TimeSpan.FromSeconds(settings.Seconds), Seed + 1, ct).ConfigureAwait(false);
            BenchServer.Say(cli, $"  hot: {report.Hot10.Hot.Describe()}");
            serve.EnsureRunning();

            // 2. The rest of the fleet: created, then measured on disk before and after its documents.
            await CreateRestAsync(cli, database, probe, fleet.Skip(first.Count).ToList(), settings, report, ct).ConfigureAwait(false);
            var rest = fleet.Skip(first.Count).ToList();
            var ingest = await BenchFleetBuilder.IngestAsync(cli, pipeline, rest, settings.Docs, settings.Parallel, lastWritten, ct).ConfigureAwait(false);
            report.Ingest = new BenchFleetIngestFigures(firstIngest.Tenants + ingest.Tenants, Math.Round(firstIngest.Seconds + ingest.Seconds, 2),
                firstIngest.DocumentsAdded + ingest.DocumentsAdded, firstIngest.Chunks + ingest.Chunks);
            report.EmbeddedTexts = embeddings.Embedded;
            report.ReusedTexts = embeddings.Reused;
            await MeasureDiskWithDocumentsAsync(probe, database.Installation.Names, fleet, report, ct).ConfigureAwait(false);
            BenchServer.Say(cli, FormattableString.Invariant($"  ingested {ingest.DocumentsAdded} documents in {ingest.Seconds:F1} s; disk per tenant with documents: shared {report.Disk.SharedWithDocuments / 1024.0:F1} KiB, dedicated {report.Disk.DedicatedWithDocuments / 1024.0 / 1024.0:F2} MiB"));

            // 3. The big tenants' chunks, seeded.
            foreach (var (tenant, i) in fleet.Where(t => t.Big).Select((t, i) => (t, i)))
            {
                var seconds = await BenchFleetBuilder.SeedBigAsync(database, tenant, settings.BigChunks, pipeline.Model, Seed + i, ct).ConfigureAwait(false);
                lastWritten[tenant.Slug.Value] = Stopwatch.GetTimestamp();
                report.BigSeeds.Add(new BenchFleetSeed(tenant.Slug.Value, tenant.Mode.ToName(), settings.BigChunks, seconds));
            }

            // The bench's own pools close now: every connection counted from here on is the server's.
            await database.DisposeAsync().ConfigureAwait(false);
            database = null;
            NpgsqlConnection.ClearAllPools();

            // Each big tenant answers once now, as a tenant in use would have: the server loads its index from the chunks
            // and keeps an index snapshot of it (in the background); step 5 finds it cold, idle for longer than the timeout.
            foreach (var tenant in fleet.Where(t => t.Big))
            {
                var used = await workload.SearchOnceAsync(tenant.Slug, BenchFleetCorpus.Queries[0], ct).ConfigureAwait(false);
                if (!used.Ok)
                {
                    throw new BenchFailedException($"searching the big tenant {tenant.Slug} after seeding failed ({used.Kind}): {serve.Tail()}");
                }
            }

            // 4. Every tenant but the big ones, searched with Zipf popularity, while memory and connections are sampled.
            var searched = fleet.Where(t => !t.Big).ToList();
            BenchServer.Say(cli, $"phase 2: {searched.Count} tenants of {fleet.Count}, same load for {settings.Seconds} s");
            await using (var sampler = new BenchFleetSampler(probe, serve, home.DataDirectory, SampleEvery))
            {
                report.HotN = await workload.RunAsync(searched, fleet.Count, settings.Clients, settings.Rate, TimeSpan.FromSeconds(settings.Seconds), Seed + 2, ct).ConfigureAwait(false);
                report.Peak = await sampler.FinishAsync().ConfigureAwait(false);
            }

            BenchServer.Say(cli, $"  hot: {report.HotN.Hot.Describe()}");
            BenchServer.Say(cli, $"  cold: {report.HotN.Cold.Describe()}");
            serve.EnsureRunning();

            // The first ten tenants alone again, now that the fleet is full size: what the size of the fleet costs a hot
            // search when popularity does not spread (and how much the machine drifted since phase 1).
            BenchServer.Say(cli, $"phase 2b: the first {first.Count} tenants alone again, {settings.Seconds} s");
            await workload.RunAsync(first, fleet.Count, settings.Clients, settings.Rate, warmUp, Seed + 3, ct).ConfigureAwait(false);
            report.Hot10Again = await workload.RunAsync(first, fleet.Count, settings.Clients, settings.Rate, TimeSpan.FromSeconds(settings.Seconds), Seed + 4, ct).ConfigureAwait(false);
            BenchServer.Say(cli, $"  hot: {report.Hot10Again.Hot.Describe()}");

            // 5. Each big tenant, untouched for longer than the idle timeout, searched once (the server and model warm), then again.
            foreach (var tenant in fleet.Where(t => t.Big))
            {
                var untouched = Stopwatch.GetElapsedTime(workload.LastTouched(tenant.Slug.Value));
                if (untouched <= settings.IdleTimeout)
                {
                    await Task.Delay(settings.IdleTimeout - untouched + TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
                }

                await workload.SearchOnceAsync(first[0].Slug, BenchFleetCorpus.Queries[0], ct).ConfigureAwait(false);
                var cold = await workload.SearchOnceAsync(tenant.Slug, BenchFleetCorpus.Queries[1], ct).ConfigureAwait(false);
                var hot = await workload.SearchOnceAsync(tenant.Slug, BenchFleetCorpus.Queries[2], ct).ConfigureAwait(false);
                if (!cold.Ok || !hot.Ok)
                {
                    throw new BenchFailedException($"searching the big tenant {tenant.Slug} failed ({cold.Kind}{hot.Kind}): {serve.Tail()}");
                }

                report.ColdBig.Add(new BenchFleetColdBig(tenant.Slug.Value, tenant.Mode.ToName(), settings.BigChunks, Math.Round(untouched.TotalSeconds, 1),
                    Math.Round(cold.Ms, 2), Math.Round(hot.Ms, 2)));
                BenchServer.Say(cli, FormattableString.Invariant($"  cold {tenant.Mode.ToName()} tenant of {settings.BigChunks} chunks: first answer {cold.Ms:F1} ms, second {hot.Ms:F1} ms"));
            }

            // 6. No traffic: after the idle timeout and the sweeps that act on it, what is still held.
            report.Idle = await IdleAsync(cli, probe, serve, metrics, home.DataDirectory, settings.IdleTimeout, ct).ConfigureAwait(false);
            serve.EnsureRunning();
            report.LoadAverageAfter = BenchServer.LoadAverage();
            report.Seconds = Math.Round(total.Elapsed.TotalSeconds, 1);
            report.Write(cli);
            return 0;
        }
        finally
        {
            // Quick steps first: after Ctrl+C the command line waits only a moment for this. The server is killed, the
            // cluster stopped at once (it is thrown away), and only then is anything waited for.
            serve?.Kill();
            if (database is not null)
            {
                await database.DisposeAsync().ConfigureAwait(false);
            }

            if (probe is not null)
            {
                await probe.DisposeAsync().ConfigureAwait(false);
            }

            NpgsqlConnection.ClearAllPools();
            await cluster.StopAsync(immediate: true, CancellationToken.None).ConfigureAwait(false);
            if (serve is not null)
            {
                await serve.DisposeAsync().ConfigureAwait(false);
            }

            if (metrics is not null)
            {
                await metrics.DisposeAsync().ConfigureAwait(false);
            }

            TryDelete(home.Root);
        }
    }

    // The fleet in creation order: ten shared tenants first (the first phase's), then the other shared ones, then the
    // dedicated ones. Big tenants are the last of each model, alternating shared and dedicated while there are both.
    private static List<BenchFleetTenant> Fleet(BenchFleetSettings settings)
    {
        var bigDedicated = settings.BigDedicated;
        var bigShared = settings.Big - bigDedicated;
        var fleet = new List<BenchFleetTenant>(settings.Tenants);
        for (var i = 0; i < settings.Shared; i++)
        {
            fleet.Add(new BenchFleetTenant(TenantSlug.Parse($"shared-{i:D5}"), TenancyMode.Shared, i >= settings.Shared - bigShared));
        }

        for (var i = 0; i < settings.Dedicated; i++)
        {
            fleet.Add(new BenchFleetTenant(TenantSlug.Parse($"dedicated-{i:D4}"), TenancyMode.Dedicated, i >= settings.Dedicated - bigDedicated));
        }

        return fleet;
    }

    // Creates the rest of the fleet by model, with the disk each model's tenants take before they have documents.
    private static async Task CreateRestAsync(BenchContext cli, TenantRagDatabase database, BenchFleetProbe probe, List<BenchFleetTenant> rest,
        BenchFleetSettings settings, BenchFleetReport report, CancellationToken ct)
    {
        var names = database.Installation.Names;
        var shared = rest.Where(t => t.Mode == TenancyMode.Shared).ToList();
        var dedicated = rest.Where(t => t.Mode == TenancyMode.Dedicated).ToList();
        var catalog0 = await probe.SizeAsync([names.Catalog], ct).ConfigureAwait(false);
        var shared0 = await probe.SizeAsync([names.Shared], ct).ConfigureAwait(false);
        report.CreateShared = await BenchFleetBuilder.CreateAsync(cli, database, shared, TenancyMode.Shared, SharedOneAtATime, settings.Parallel, ct).ConfigureAwait(false);
        var catalog1 = await probe.SizeAsync([names.Catalog], ct).ConfigureAwait(false);
        var shared1 = await probe.SizeAsync([names.Shared], ct).ConfigureAwait(false);
        BenchServer.Say(cli, $"  shared: {Describe(report.CreateShared)}");
        if (dedicated.Count > 0)
        {
            report.CreateDedicated = await BenchFleetBuilder.CreateAsync(cli, database, dedicated, TenancyMode.Dedicated, DedicatedOneAtATime, settings.Parallel, ct).ConfigureAwait(false);
            BenchServer.Say(cli, $"  dedicated: {Describe(report.CreateDedicated)}");
        }

        var catalog2 = await probe.SizeAsync([names.Catalog], ct).ConfigureAwait(false);
        var dedicatedDatabases = dedicated.Select(t => names.DedicatedDatabase(t.Slug)).ToList();
        report.SharedBaseline = shared0;
        report.CatalogBaseline = catalog0;
        report.BulkShared = shared.Count;
        report.Disk = new BenchFleetDisk
        {
            SharedOverhead = PerTenant(shared1 - shared0 + (catalog1 - catalog0), shared.Count),
            SharedDatabasePerShared = PerTenant(shared1 - shared0, shared.Count),
            CatalogPerShared = PerTenant(catalog1 - catalog0, shared.Count),
            DedicatedOverhead = dedicated.Count == 0 ? 0
                : PerTenant(await probe.SizeAsync(dedicatedDatabases, ct).ConfigureAwait(false) + (catalog2 - catalog1), dedicated.Count),
            CatalogPerDedicated = PerTenant(catalog2 - catalog1, dedicated.Count),
        };
        BenchServer.Say(cli, FormattableString.Invariant($"  disk per tenant without documents: shared {report.Disk.SharedOverhead / 1024.0:F1} KiB, dedicated {report.Disk.DedicatedOverhead / 1024.0 / 1024.0:F2} MiB"));
    }

    private static async Task MeasureDiskWithDocumentsAsync(BenchFleetProbe probe, InstallationNames names, List<BenchFleetTenant> fleet, BenchFleetReport report, CancellationToken ct)
    {
        var sharedNow = await probe.SizeAsync([names.Shared], ct).ConfigureAwait(false);
        var catalogNow = await probe.SizeAsync([names.Catalog], ct).ConfigureAwait(false);
        var dedicated = fleet.Where(t => t.Mode == TenancyMode.Dedicated).Select(t => names.DedicatedDatabase(t.Slug)).ToList();
        report.Disk = report.Disk with
        {
            SharedWithDocuments = PerTenant(sharedNow - report.SharedBaseline + (catalogNow - report.CatalogBaseline), report.BulkShared),
            DedicatedWithDocuments = dedicated.Count == 0 ? 0 : PerTenant(await probe.SizeAsync(dedicated, ct).ConfigureAwait(false), dedicated.Count) + report.Disk.CatalogPerDedicated,
            SharedDatabaseBytes = sharedNow,
            CatalogDatabaseBytes = catalogNow,
        };
    }

    private static async Task<BenchFleetIdle> IdleAsync(BenchContext cli, BenchFleetProbe probe, BenchFleetServe serve, BenchFleetMetrics metrics,
        string dataDirectory, TimeSpan idleTimeout, CancellationToken ct)
    {
        // The server closes an idle pool at its next sweep (every idle/2, 0.2 to 30 s) and an idle connection inside a pool
        // at Npgsql's next pruning (every min(idle, 10 s)); the wait covers both, then two fresh metric exports.
        var sweep = TimeSpan.FromMilliseconds(Math.Clamp(idleTimeout.TotalMilliseconds / 2, 200, 30_000));
        var prune = TimeSpan.FromSeconds(Math.Max(1, Math.Min(10, (int)idleTimeout.TotalSeconds)));
        var wait = idleTimeout + sweep + prune + TimeSpan.FromSeconds(1);
        BenchServer.Say(cli, FormattableString.Invariant($"phase 3: no traffic for {wait.TotalSeconds:F1} s (idle timeout + pool sweep + connection pruning)"));
        var started = Stopwatch.GetTimestamp();
        await Task.Delay(wait, ct).ConfigureAwait(false);
        var exported = await metrics.WaitForExportsAsync(2, TimeSpan.FromSeconds(15), ct).ConfigureAwait(false);
        var connections = await probe.ConnectionsAsync(serve.Id, ct).ConfigureAwait(false);
        var cache = exported ? metrics.Gauge(BenchFleetReport.CacheGauge) : null;
        var postgres = BenchFleetMemory.Cluster(dataDirectory);
        return new BenchFleetIdle(Math.Round(Stopwatch.GetElapsedTime(started).TotalSeconds, 1), connections, cache, metrics.Exports, serve.ResidentBytes(), postgres);
    }

    // The serve process's settings, as an operator gives them: environment variables of the TenantRag section.
    private static Dictionary<string, string> ServeEnvironment(TenantRagHome home, ServerEndpoint endpoint, TimeSpan idleTimeout, BenchFleetMetrics metrics)
    {
        var url = FormattableString.Invariant(
            $"postgres://{Uri.EscapeDataString(endpoint.BootstrapUsername)}:{Uri.EscapeDataString(endpoint.BootstrapPassword)}@{endpoint.Host}:{endpoint.Port}/{Uri.EscapeDataString(endpoint.BootstrapDatabase)}");
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["TENANTRAG_HOME"] = home.Root,
            ["TenantRag__Home"] = home.Root,
            ["TENANTRAG_DATABASE_URL"] = url,
            ["TenantRag__Database__Url"] = url,
            ["TenantRag__Database__IdleTimeout"] = idleTimeout.ToString("c", CultureInfo.InvariantCulture),
            ["TenantRag__Limits__RequestsPerSecond"] = "1000000",
            ["TenantRag__Limits__Burst"] = "1000000",
            ["TenantRag__Telemetry__OtlpEndpoint"] = metrics.Url,
            ["TenantRag__Telemetry__OtlpProtocol"] = "http/protobuf",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "1000",
            ["OTEL_TRACES_SAMPLER"] = "always_off",
        };
    }

    private static string Describe(BenchFleetCreateFigures f) => FormattableString.Invariant(
        $"{f.Count} created in {f.Seconds:F1} s ({f.PerSecond:F1}/s); one at a time {f.OneAtATime.Describe("creates")}; {f.Parallel} at once {f.Concurrent.Describe("creates")}");

    private static long PerTenant(long bytes, int tenants) => tenants == 0 ? 0 : bytes / tenants;

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"note: could not remove {directory}: {ex.Message}");
        }
    }
}
