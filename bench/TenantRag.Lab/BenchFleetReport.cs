using System.Globalization;

namespace TenantRag.Lab;

/// <summary>Disk per tenant in bytes, by model, before and after the small documents (catalog rows included).</summary>
internal sealed record BenchFleetDisk
{
    /// <summary>A shared tenant with no documents: the shared database's growth plus the catalog's, per tenant created.</summary>
    public long SharedOverhead { get; init; }

    /// <summary>The shared database's part of <see cref="SharedOverhead"/> (the rest is the catalog's).</summary>
    public long SharedDatabasePerShared { get; init; }

    public long CatalogPerShared { get; init; }

    /// <summary>A dedicated tenant with no documents: its database plus its catalog rows.</summary>
    public long DedicatedOverhead { get; init; }

    public long CatalogPerDedicated { get; init; }

    /// <summary>A shared tenant with its small documents: growth since before the bulk creation, per tenant.</summary>
    public long SharedWithDocuments { get; init; }

    public long DedicatedWithDocuments { get; init; }

    public long SharedDatabaseBytes { get; init; }

    public long CatalogDatabaseBytes { get; init; }
}

/// <summary>A big tenant's seeding.</summary>
internal sealed record BenchFleetSeed(string Tenant, string Mode, int Chunks, double Seconds);

/// <summary>A big tenant's first search after it was untouched for <c>UntouchedSeconds</c>, and the search after it.</summary>
internal sealed record BenchFleetColdBig(string Tenant, string Mode, int Chunks, double UntouchedSeconds, double FirstAnswerMs, double SecondAnswerMs);

/// <summary>What the server held after the idle wait: connections, index cache bytes (null when not exported), memory.</summary>
internal sealed record BenchFleetIdle(double WaitedSeconds, BenchFleetConnections Connections, long? CacheBytes, long MetricExports, long? ServerRssBytes,
    BenchFleetClusterMemory Postgres);

/// <summary>A target of issue 15 and whether this run met it.</summary>
internal sealed record BenchFleetTarget(string Name, string Target, string Value, bool Pass);

/// <summary>Everything <c>bench fleet</c> measured, printed as lines with PASS/FAIL or as one JSON document.</summary>
internal sealed class BenchFleetReport(BenchFleetSettings settings)
{
    /// <summary>The server's gauge of bytes its retrieval index cache holds (<c>ServerTelemetry</c>).</summary>
    public const string CacheGauge = "tenantrag.index_cache.size";

    private const long SharedOverheadTarget = 100_000;
    private const double ColdBigTargetMs = 100;
    private const double HotRatioTarget = 1.2;

    public string LoadAverageBefore { get; init; } = "unknown";

    /// <summary>The throwaway home (cluster, secrets), removed when the bench ends.</summary>
    public string Home { get; set; } = string.Empty;

    public string LoadAverageAfter { get; set; } = "unknown";

    public double Seconds { get; set; }

    public int MaxConnections { get; set; }

    public BenchFleetCreateFigures? CreateShared { get; set; }

    public BenchFleetCreateFigures? CreateDedicated { get; set; }

    public BenchFleetDisk Disk { get; set; } = new();

    public long SharedBaseline { get; set; }

    public long CatalogBaseline { get; set; }

    public int BulkShared { get; set; }

    public BenchFleetIngestFigures? Ingest { get; set; }

    public long EmbeddedTexts { get; set; }

    public long ReusedTexts { get; set; }

    public List<BenchFleetSeed> BigSeeds { get; } = [];

    public BenchFleetPhase? Hot10 { get; set; }

    public BenchFleetPhase? HotN { get; set; }

    public BenchFleetPhase? Hot10Again { get; set; }

    public BenchFleetPeak? Peak { get; set; }

    public List<BenchFleetColdBig> ColdBig { get; } = [];

    public BenchFleetIdle? Idle { get; set; }

    /// <summary>The targets, judged on what was measured (a figure not measured fails).</summary>
    public IReadOnlyList<BenchFleetTarget> Targets()
    {
        var created = (CreateShared?.Count ?? 0) + (CreateDedicated?.Count ?? 0) + BenchFleetSettings.FirstTenants;
        var errors = (Hot10?.Errors ?? 1) + (HotN?.Errors ?? 1);
        var ratio = HotRatio;
        var coldBig = ColdBig.Count == 0 ? (double?)null : ColdBig.Max(c => c.FirstAnswerMs);
        return
        [
            new("tenants created and served", $"{settings.Tenants} created, searches without errors", $"{created} created, {errors} search errors",
                created == settings.Tenants && errors == 0),
            new("shared tenant's own disk", "< 100 KB", Invariant($"{Disk.SharedOverhead / 1000.0:F1} KB") + (Disk.SharedOverhead == 0
                ? " (the growth fit in free space of pages already there: too few tenants to see it)" : string.Empty),
                CreateShared is { Count: > 0 } && Disk.SharedOverhead < SharedOverheadTarget),
            new("idle tenants' connections", "0", Idle is null ? "not measured" : $"{Idle.Connections.TenantData} to tenant databases ({Idle.Connections.Catalog} to the catalog)",
                Idle?.Connections.TenantData == 0),
            new("idle tenants' cache bytes", "0", Idle?.CacheBytes is { } bytes ? Invariant($"{bytes} bytes") : "not measured (no metric export)", Idle?.CacheBytes == 0),
            new("cold 10,000-chunk tenant's first answer", $"<= {ColdBigTargetMs} ms", coldBig is { } ms ? Invariant($"{ms:F1} ms (slowest of {ColdBig.Count})") : "not measured",
                coldBig <= ColdBigTargetMs),
            new($"hot p50 at {settings.Tenants} tenants / at {BenchFleetSettings.FirstTenants}, question for question", $"<= {HotRatioTarget}x",
                DescribeHotRatios(), HotRatioNew <= HotRatioTarget && HotRatioRepeated <= HotRatioTarget),
        ];
    }

    // All hot searches, whatever mix of new and repeated questions each fleet size made.
    private double? HotRatio => Ratio(p => p.Hot);

    // Hot searches asking their tenant a question it was not asked within the idle timeout: the query is embedded.
    private double? HotRatioNew => Ratio(p => p.HotNew);

    // Hot searches repeating one of their tenant's recent questions: its vector is in the server's query cache.
    private double? HotRatioRepeated => Ratio(p => p.HotRepeated);

    private double? Ratio(Func<BenchFleetPhase, BenchFleetLatency> of) =>
        Hot10 is { } ten && HotN is { } all && of(ten) is { Count: > 0, P50Ms: > 0 } few && of(all) is { Count: > 0 } many
            ? Math.Round(many.P50Ms / few.P50Ms, 3)
            : null;

    private string DescribeHotRatios()
    {
        string Part(string what, double? ratio, Func<BenchFleetPhase, BenchFleetLatency> of) => ratio is { } r
            ? Invariant($"{what} {r:F2}x ({of(HotN!).P50Ms:F1} / {of(Hot10!).P50Ms:F1} ms)")
            : $"{what} not measured";
        return $"{Part("new questions", HotRatioNew, p => p.HotNew)}, {Part("repeated", HotRatioRepeated, p => p.HotRepeated)}; "
            + $"{Part("all hot searches", HotRatio, p => p.Hot)}, a different mix of the two at each size";
    }

    /// <summary>What is real in this run and what is not.</summary>
    public IReadOnlyDictionary<string, string> Provenance() => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["tenants"] = "real: created with the catalog (the call behind 'tenant create' and the admin API), shared and dedicated, several at once; no batch path exists",
        ["documents"] = $"real: {settings.Docs} small documents per tenant through the ingestion pipeline in each tenant's sessions (extraction, chunking, store, "
            + "data version), the same texts in every tenant; the real model embedded each distinct text once and the bench handed its vector to every later "
            + "tenant (the product reuses vectors only inside one tenant)",
        ["bigTenants"] = $"seeded: {settings.BigChunks} synthetic passages with random unit vectors of the server's model per big tenant, inserted in the tenant's own "
            + "write sessions (row-level security and triggers apply), not embedded; each searched once through the server after seeding (its index loaded, and "
            + "its snapshot stored), then left idle until its cold first answer",
        ["searches"] = "real: POST /v1/search with each tenant's own JWT to a separate 'tenantrag serve' process",
        ["cacheBytes"] = $"the server's own gauge {CacheGauge}, exported over OTLP/HTTP to the bench",
        ["connections"] = "pg_stat_activity client backends whose client port is one of the serve process's sockets (/proc/PID/fd, /proc/net/tcp)",
        ["memory"] = "VmRSS of the serve process; VmRSS and Pss (smaps_rollup) summed over the PostgreSQL postmaster and its children",
    };

    public void Write(BenchContext cli)
    {
        var targets = Targets();
        if (cli.Json)
        {
            cli.WriteJson(new
            {
                benchmark = "fleet",
                machine = new { cores = Environment.ProcessorCount, loadAverageBefore = LoadAverageBefore, loadAverageAfter = LoadAverageAfter },
                settings = new
                {
                    settings.Tenants, settings.Dedicated, shared = settings.Shared, settings.Big, settings.BigChunks, settings.Docs,
                    idleTimeoutSeconds = settings.IdleTimeout.TotalSeconds, settings.Seconds, settings.Clients, settings.Rate, settings.Parallel,
                    zipfExponent = BenchFleetWorkload.ZipfExponent,
                },
                provenance = Provenance(),
                seconds = Seconds,
                home = Home,
                create = new { shared = CreateShared, dedicated = CreateDedicated, firstSharedTenants = BenchFleetSettings.FirstTenants },
                disk = Disk,
                ingest = new { figures = Ingest, textsEmbedded = EmbeddedTexts, textsReused = ReusedTexts, documentBytesPerTenant = BenchFleetCorpus.Bytes(settings.Docs) },
                bigSeeds = BigSeeds,
                memory = new
                {
                    serverRssBytesPeak = Peak?.ServerRssBytes,
                    serverRssBytesIdle = Idle?.ServerRssBytes,
                    postgresRssBytesPeak = Peak?.PostgresRssBytes,
                    postgresPssBytesPeak = Peak?.PostgresPssBytes,
                    postgresProcessesPeak = Peak?.PostgresProcesses,
                    postgresRssBytesIdle = Idle?.Postgres.RssBytes,
                    postgresPssBytesIdle = Idle?.Postgres.PssBytes,
                },
                connections = new { peak = Peak?.Connections, peakTotal = Peak?.TotalConnections, maxConnections = MaxConnections },
                search = new
                {
                    tenants10 = Hot10, tenantsN = HotN, tenants10AtFullSize = Hot10Again, hotP50Ratio = HotRatio, hotP50RatioNewQuestions = HotRatioNew,
                    hotP50RatioRepeatedQuestions = HotRatioRepeated,
                },
                coldBig = ColdBig,
                idle = Idle,
                targets,
            });
            return;
        }

        Console.WriteLine($"bench fleet: {settings.Tenants} tenants ({settings.Shared} shared, {settings.Dedicated} dedicated), {Environment.ProcessorCount} cores, "
            + Invariant($"{Seconds:F0} s in all; load average {LoadAverageBefore} before, {LoadAverageAfter} after"));
        foreach (var (key, value) in Provenance())
        {
            Console.WriteLine($"  {key}: {value}");
        }

        foreach (var create in new[] { CreateShared, CreateDedicated })
        {
            if (create is not null)
            {
                Console.WriteLine(Invariant($"create {create.Mode,-9} {create.Count} tenants in {create.Seconds:F1} s ({create.PerSecond:F1}/s): one at a time {create.OneAtATime.Describe("creates")}"));
                Console.WriteLine(Invariant($"                 {create.Parallel} at once {create.Concurrent.Describe("creates")}"));
            }
        }

        Console.WriteLine(Invariant($"disk per tenant, no documents: shared {Kib(Disk.SharedOverhead)} (shared database {Kib(Disk.SharedDatabasePerShared)} + catalog {Kib(Disk.CatalogPerShared)}), dedicated {Mib(Disk.DedicatedOverhead)}"));
        Console.WriteLine(Invariant($"disk per tenant, {settings.Docs} documents ({BenchFleetCorpus.Bytes(settings.Docs)} bytes of text): shared {Kib(Disk.SharedWithDocuments)}, dedicated {Mib(Disk.DedicatedWithDocuments)}; shared database {Mib(Disk.SharedDatabaseBytes)}, catalog {Mib(Disk.CatalogDatabaseBytes)}"));
        if (Ingest is not null)
        {
            Console.WriteLine(Invariant($"ingest: {Ingest.DocumentsAdded} documents, {Ingest.Chunks} chunks into {Ingest.Tenants} tenants in {Ingest.Seconds:F1} s ({EmbeddedTexts} texts embedded, {ReusedTexts} vectors reused by the bench)"));
        }

        foreach (var seed in BigSeeds)
        {
            Console.WriteLine(Invariant($"seeded {seed.Tenant} ({seed.Mode}): {seed.Chunks} chunks in {seed.Seconds:F1} s"));
        }

        if (Peak is not null)
        {
            Console.WriteLine(Invariant($"memory at peak: serve {Mib(Peak.ServerRssBytes)} RSS; PostgreSQL {Peak.PostgresProcesses} processes, {Mib(Peak.PostgresRssBytes)} RSS summed, {(Peak.PostgresPssBytes is { } pss ? Mib(pss) : "unknown")} PSS"));
            Console.WriteLine($"server connections at peak{(Peak.Connections.ByClientPort ? " (the serve process's, by client port)" : " (every client but the bench's monitor)")}: {Peak.TotalConnections} in all; the peak of each kind: {Peak.Connections.Shared} shared database, {Peak.Connections.Dedicated} dedicated databases, {Peak.Connections.Catalog} catalog; max_connections {MaxConnections}");
        }

        foreach (var (label, phase) in new[]
        {
            ($"{BenchFleetSettings.FirstTenants} tenants", Hot10), ($"{settings.Tenants} tenants", HotN),
            ($"the first {BenchFleetSettings.FirstTenants} tenants alone, fleet at full size", Hot10Again),
        })
        {
            if (phase is not null)
            {
                Console.WriteLine(Invariant($"search at {label} ({phase.SearchedTenants} searched, {phase.DistinctTenantsSearched} touched, {phase.Requests} searches, {phase.Errors} errors):"));
                Console.WriteLine($"  hot  {phase.Hot.Describe()}");
                Console.WriteLine($"       shared {phase.HotShared.Describe()}; dedicated {phase.HotDedicated.Describe()}");
                Console.WriteLine(Invariant($"       tenant answered <= {BenchFleetWorkload.RecentSeconds} s before {phase.HotRecent.Describe()}; longer before {phase.HotLater.Describe()}"));
                Console.WriteLine($"       new question {phase.HotNew.Describe()}; repeated (its query vector cached) {phase.HotRepeated.Describe()}");
                Console.WriteLine($"  cold {phase.Cold.Describe()}");
                Console.WriteLine($"  other (first search soon after a write, or during a cold one) {phase.Other.Describe()}");
            }
        }

        foreach (var cold in ColdBig)
        {
            Console.WriteLine(Invariant($"cold big tenant {cold.Tenant} ({cold.Mode}, {cold.Chunks} chunks, untouched {cold.UntouchedSeconds:F0} s): first answer {cold.FirstAnswerMs:F1} ms, then {cold.SecondAnswerMs:F1} ms"));
        }

        if (Idle is not null)
        {
            Console.WriteLine(Invariant($"after {Idle.WaitedSeconds:F0} s without traffic: connections {Idle.Connections.Describe()}; index cache {(Idle.CacheBytes is { } b ? b + " bytes" : "unknown")}; serve {(Idle.ServerRssBytes is { } rss ? Mib(rss) : "gone")} RSS; PostgreSQL {Mib(Idle.Postgres.RssBytes)} RSS, {(Idle.Postgres.PssBytes is { } p ? Mib(p) : "unknown")} PSS"));
        }

        foreach (var target in targets)
        {
            Console.WriteLine($"{(target.Pass ? "PASS" : "FAIL")} {target.Name}: {target.Value} (target {target.Target})");
        }
    }

    private static string Kib(long bytes) => Invariant($"{bytes / 1024.0:F1} KiB");

    private static string Mib(long bytes) => Invariant($"{bytes / 1024.0 / 1024.0:F1} MiB");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
