using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using TenantRag.Postgres;
using TenantRag.Postgres.Installation;
using TenantRag.Server.Auth;
using TenantRag.Tenancy;

namespace TenantRag.Lab;

/// <summary>
/// <c>tenantrag bench soak --seconds N</c>: workers mixing ingest, search, ask, list, get and delete through the real
/// HTTP API (in process, on loopback, real JWTs) across tenants of both models with several users each, checking every
/// answer; at the end every acknowledged write must be present and every acknowledged delete absent, with no 5xx and
/// memory flat. Exit 1 when any of that fails. Tenants are reused, so it can run again and again.
/// </summary>
internal static partial class BenchSoakCommand
{
    private const string SharedPrefix = "soak-shared-";
    private const string DedicatedPrefix = "soak-dedicated-";
    private const int Seed = 20240605;
    private const int SnippetWords = 40;
    private static readonly TimeSpan MaxWarmUp = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan MinJudgedRun = TimeSpan.FromSeconds(60);

    public static Command Create(BenchAction action)
    {
        var seconds = new Option<int>("--seconds") { Description = "How long the workers run", DefaultValueFactory = _ => 60 };
        var tenants = new Option<int>("--tenants") { Description = "Tenants per model (shared and dedicated), reused when they exist", DefaultValueFactory = _ => 10 };
        var users = new Option<int>("--users") { Description = "Users per tenant", DefaultValueFactory = _ => 3 };
        var workers = new Option<int>("--workers") { Description = "Concurrent workers, each looping over random operations", DefaultValueFactory = _ => 8 };
        var ingests = new Option<int>("--ingest-concurrency") { Description = "Uploads in flight at once (embedding is CPU-bound)", DefaultValueFactory = _ => 2 };
        var maxDocs = new Option<int>("--max-docs") { Description = "Live documents per tenant above which workers delete instead of adding", DefaultValueFactory = _ => 40 };
        var soak = new Command("soak", "Mixed ingest/search/ask/delete load over HTTP across shared and dedicated tenants with several users each (in-process server over the 'tenantrag_bench' installation); checks every answer for cross-tenant and cross-user results, then every acknowledged write and delete; exit 1 on any leak, lost write, 5xx or memory growth")
        {
            seconds, tenants, users, workers, ingests, maxDocs,
        };
        soak.SetAction(action(cli => RunAsync(cli, new Settings(
            cli.Parse.GetValue(seconds), cli.Parse.GetValue(tenants), cli.Parse.GetValue(users), cli.Parse.GetValue(workers),
            cli.Parse.GetValue(ingests), cli.Parse.GetValue(maxDocs)))));
        return soak;
    }

    private sealed record Settings(int Seconds, int Tenants, int Users, int Workers, int IngestConcurrency, int MaxDocs)
    {
        public void Validate()
        {
            BenchServer.CheckRange("--seconds", Seconds, 1, 86_400);
            BenchServer.CheckRange("--tenants", Tenants, 1, 50);
            BenchServer.CheckRange("--users", Users, 2, 10);
            BenchServer.CheckRange("--workers", Workers, 1, 64);
            BenchServer.CheckRange("--ingest-concurrency", IngestConcurrency, 1, 8);
            BenchServer.CheckRange("--max-docs", MaxDocs, 2 * Users, 1000);
        }
    }

    private static async Task<int> RunAsync(BenchContext cli, Settings settings)
    {
        settings.Validate();
        var ct = cli.CancellationToken;
        var loadBefore = BenchServer.LoadAverage();
        var data = await BenchApiData.LoadAsync(null, Seed, ct).ConfigureAwait(false);
        var snippets = data.Corpus.Take(2000).Select(d => string.Join(' ', d.Text.Split(' ').Take(SnippetWords))).ToList();
        BenchServer.Say(cli, $"bench soak: {settings.Tenants} shared + {settings.Tenants} dedicated tenants x {settings.Users} users, {settings.Workers} workers, {settings.Seconds} s; texts from {data.Source}; {Environment.ProcessorCount} cores; load average before: {loadBefore}");

        await using var database = await cli.OpenDatabaseAsync(new TenancyOptions { Prefix = "tenantrag_bench" }).ConfigureAwait(false);
        var (slugs, created) = await EnsureTenantsAsync(database, settings.Tenants, ct).ConfigureAwait(false);
        await using var app = BenchServer.Build(cli, database);
        await app.StartAsync(ct).ConfigureAwait(false);
        try
        {
            var issuer = DevelopmentTokenIssuer.LoadOrCreate(cli.Home);
            var lifetime = TimeSpan.FromSeconds(settings.Seconds) + TimeSpan.FromHours(2);
            var callers = slugs.SelectMany(s => Enumerable.Range(1, settings.Users).Select(u =>
            {
                var user = $"u{u.ToString(CultureInfo.InvariantCulture)}";
                return new BenchSoakCaller(s.Value, user, issuer.Issue(s, UserId.Parse(user), lifetime, []));
            })).ToList();
            using var handler = new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = settings.Workers + 8, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) };
            using var http = new HttpClient(handler) { BaseAddress = BenchServer.LoopbackAddress(app), Timeout = TimeSpan.FromSeconds(120) };
            var counts = new BenchSoakCounts();
            var ledger = new BenchSoakLedger(DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString("x", CultureInfo.InvariantCulture));
            var checks = new BenchSoakChecks(ledger);
            using var workload = new BenchSoakWorkload(new BenchSoakClient(http, counts), ledger, checks, callers, snippets, data.Queries, settings.IngestConcurrency);
            BenchServer.Say(cli, $"server on {http.BaseAddress} (in process); tenants: {created} created, {slugs.Count - created} reused");

            var prepared = await PrepareAsync(workload, ledger, callers, ct).ConfigureAwait(false);
            BenchServer.Say(cli, $"prepared in {prepared.Seconds:F1} s: {prepared.FoundAtStart} documents found from earlier runs, {prepared.Added} added so every user has a tenant and a private document");

            var memory = new BenchSoakMemory();
            await using (memory.ConfigureAwait(false))
            {
                var run = await RunWorkersAsync(cli, workload, ledger, checks, counts, memory, callers, settings, ct).ConfigureAwait(false);
                var memoryFigures = await memory.FinishAsync(judge: TimeSpan.FromSeconds(settings.Seconds) >= MinJudgedRun).ConfigureAwait(false);
                BenchServer.Say(cli, FormattableString.Invariant($"load stopped after {run.Seconds:F1} s; verifying every acknowledged write and delete"));
                var final = await VerifyAsync(workload, ledger, callers, ct).ConfigureAwait(false);
                var report = new BenchSoakReport(settings.Seconds, slugs.Count, created, settings.Users, prepared, run, final, counts, checks, ledger, memoryFigures, loadBefore, BenchServer.LoadAverage());
                report.Print(cli);
                return report.Passed ? 0 : 1;
            }
        }
        finally
        {
            await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static async Task<(List<TenantSlug> Slugs, int Created)> EnsureTenantsAsync(TenantRagDatabase database, int perModel, CancellationToken ct)
    {
        var slugs = new List<TenantSlug>();
        var created = 0;
        foreach (var (prefix, mode) in new[] { (SharedPrefix, TenancyMode.Shared), (DedicatedPrefix, TenancyMode.Dedicated) })
        {
            for (var i = 0; i < perModel; i++)
            {
                var slug = TenantSlug.Parse($"{prefix}{i:D2}");
                if (await database.Catalog.FindAsync(slug, ct).ConfigureAwait(false) is { } existing)
                {
                    if (existing.Mode != mode)
                    {
                        throw new BenchFailedException($"tenant '{slug}' of the bench installation is {existing.Mode.ToName()}, not {mode.ToName()}: delete it (TENANTRAG installation 'tenantrag_bench') and run again");
                    }
                }
                else
                {
                    await database.Catalog.CreateAsync(slug, mode, ct).ConfigureAwait(false);
                    database.Sessions.Invalidate(slug);
                    created++;
                }

                slugs.Add(slug);
            }
        }

        return (slugs, created);
    }

    /// <summary>Lists what earlier runs left (checked like any listing), then gives every user a tenant and a private document.</summary>
    private static async Task<BenchSoakPrepared> PrepareAsync(BenchSoakWorkload workload, BenchSoakLedger ledger, List<BenchSoakCaller> callers, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        foreach (var caller in callers)
        {
            var listed = await workload.ListAsync(caller, ct).ConfigureAwait(false)
                ?? throw new BenchFailedException($"listing the documents of {caller.Tenant}/{caller.User} failed: the server is not answering");
            foreach (var item in listed)
            {
                if (BenchSoakMarker.Find(item.Title) is { } marker)
                {
                    ledger.Add(new BenchSoakDocument(item.Id, marker, acknowledged: 0, fromThisRun: false));
                }
            }
        }

        var found = ledger.All().Count;
        var added = 0;
        var missing = callers.SelectMany(c => new[] { BenchSoakMarker.TenantVisibility, BenchSoakMarker.PrivateVisibility }
            .Where(v => !ledger.Documents(c.Tenant).Any(d => d.Marker.Owner == c.User && d.Marker.Visibility == v && d.State == BenchSoakState.Live))
            .Select(v => (Caller: c, Visibility: v))).ToList();
        await Parallel.ForEachAsync(missing, new ParallelOptions { MaxDegreeOfParallelism = 2, CancellationToken = ct }, async (m, token) =>
        {
            if (await workload.IngestWaitingAsync(m.Caller, m.Visibility, Random.Shared, token).ConfigureAwait(false))
            {
                Interlocked.Increment(ref added);
            }
        }).ConfigureAwait(false);

        return new BenchSoakPrepared(Math.Round(watch.Elapsed.TotalSeconds, 1), found, added);
    }
}

/// <summary>What preparation found and added.</summary>
internal sealed record BenchSoakPrepared(double Seconds, int FoundAtStart, int Added);
