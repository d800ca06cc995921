using System.Collections.Concurrent;
using System.Diagnostics;
using TenantRag.Tenancy;

namespace TenantRag.Lab;

/// <summary>Latency of one kind of search: how many, p50/p95/p99/max in milliseconds.</summary>
internal sealed record BenchFleetLatency(int Count, double P50Ms, double P95Ms, double P99Ms, double MaxMs)
{
    public static BenchFleetLatency Of(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return new BenchFleetLatency(sorted.Count, Math.Round(BenchApiLoad.Percentile(sorted, 0.50), 2), Math.Round(BenchApiLoad.Percentile(sorted, 0.95), 2),
            Math.Round(BenchApiLoad.Percentile(sorted, 0.99), 2), Math.Round(sorted.Count > 0 ? sorted[^1] : 0, 2));
    }

    public string Describe(string what = "searches") => Count == 0 ? "no samples"
        : FormattableString.Invariant($"p50 {P50Ms:F1} ms, p95 {P95Ms:F1} ms, p99 {P99Ms:F1} ms, max {MaxMs:F1} ms ({Count} {what})");
}

/// <summary>
/// What one search phase measured. Hot: the tenant answered a search that finished within the idle timeout before this
/// one started. Cold: nothing touched the tenant (no search started, no write) for longer than the idle timeout.
/// Other: neither (its first search soon after its documents were written, or one sent while the tenant's cold search
/// was still running).
/// </summary>
/// <remarks>
/// <para>
/// Hot searches are also split by how long ago their tenant last answered: within <see cref="BenchFleetWorkload.RecentSeconds"/>
/// (the default lifetime of a cached catalog entry) or longer, which needs a catalog lookup first.
/// </para>
/// <para>
/// And by whether the tenant answered the same question within the idle timeout before (<see cref="HotRepeated"/>): the
/// server keeps a tenant's query vectors that long, so a repeated question skips the embedding model (a few
/// milliseconds of the search). With 10 tenants and the bench's 16 questions nearly every hot search repeats one; with
/// thousands most hot searches ask their tenant something new, so all hot searches together compare two different
/// mixes of work. <see cref="HotNew"/> and <see cref="HotRepeated"/> compare the same work at each fleet size.
/// </para>
/// </remarks>
internal sealed record BenchFleetPhase(int FleetTenants, int SearchedTenants, double Seconds, int Requests, int Errors, IReadOnlyDictionary<string, int> ErrorKinds,
    int DistinctTenantsSearched, BenchFleetLatency Hot, BenchFleetLatency HotShared, BenchFleetLatency HotDedicated, BenchFleetLatency HotRecent,
    BenchFleetLatency HotLater, BenchFleetLatency HotNew, BenchFleetLatency HotRepeated, BenchFleetLatency Cold, BenchFleetLatency Other);

/// <summary>
/// Searches over HTTP (<c>POST /v1/search</c> with each tenant's own JWT) whose tenant is drawn from a Zipf distribution
/// over a random ranking of the tenants, paced at a fixed rate by a few clients, each search classified hot or cold
/// from what the bench last did to its tenant.
/// </summary>
internal sealed class BenchFleetWorkload(HttpClient http, Func<TenantSlug, BenchApiTarget> target, TimeSpan idleTimeout,
    ConcurrentDictionary<string, long> lastWritten)
{
    private const int K = 5;
    private readonly ConcurrentDictionary<string, long> _lastStarted = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _lastAnswered = new(StringComparer.Ordinal);

    // When each tenant last answered each question, a timestamp: a hot search is "repeated" when its tenant answered the
    // same question within the idle timeout, so the server still holds its query vector.
    private readonly ConcurrentDictionary<(string Slug, string Query), long> _lastAsked = new();

    /// <summary>A hot search whose tenant answered at most this long before is "recent" (the catalog cache's default lifetime).</summary>
    public const double RecentSeconds = 2;

    /// <summary>The Zipf exponent of tenant popularity.</summary>
    public const double ZipfExponent = 1.1;

    /// <summary>When anything last touched <paramref name="slug"/> (a search started, or a write), as a timestamp; 0 for never.</summary>
    public long LastTouched(string slug) => Math.Max(_lastStarted.GetValueOrDefault(slug), lastWritten.GetValueOrDefault(slug));

    /// <summary>One search, timed (for the cold big tenants): the latency in ms, or a failure kind.</summary>
    public async Task<(bool Ok, double Ms, string Kind)> SearchOnceAsync(TenantSlug slug, string query, CancellationToken ct)
    {
        _lastStarted[slug.Value] = Stopwatch.GetTimestamp();
        var result = await BenchApiLoad.SearchOnceAsync(http, target(slug), query, K, ct).ConfigureAwait(false);
        if (result.Ok)
        {
            var now = Stopwatch.GetTimestamp();
            _lastAnswered[slug.Value] = now;
            _lastAsked[(slug.Value, query)] = now;
        }

        return result;
    }

    /// <summary>
    /// Runs <paramref name="clients"/> clients for <paramref name="duration"/> at <paramref name="rate"/> searches a second
    /// in all, over <paramref name="tenants"/> ranked by popularity as <paramref name="seed"/> shuffles them.
    /// </summary>
    public async Task<BenchFleetPhase> RunAsync(IReadOnlyList<BenchFleetTenant> tenants, int fleetTenants, int clients, int rate, TimeSpan duration,
        int seed, CancellationToken ct)
    {
        var ranked = tenants.ToArray();
        new Random(seed).Shuffle(ranked);
        var zipf = Cumulative(ranked.Length, ZipfExponent);
        var samples = new ConcurrentBag<(string Kind, TenancyMode Mode, double Ms, double Since, bool Repeated)>();
        var errors = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var searched = new ConcurrentDictionary<string, byte>(StringComparer.Ordinal);
        var interval = TimeSpan.FromSeconds((double)clients / rate);
        var started = Stopwatch.GetTimestamp();
        var tasks = Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            var random = new Random(seed * 31 + c + 1);
            var slot = Stopwatch.GetElapsedTime(started) + (interval * c / clients);
            while (true)
            {
                var wait = slot - Stopwatch.GetElapsedTime(started);
                if (slot >= duration)
                {
                    return;
                }

                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, ct).ConfigureAwait(false);
                }

                slot += interval;
                var tenant = ranked[Draw(zipf, random)];
                var query = BenchFleetCorpus.Queries[random.Next(BenchFleetCorpus.Queries.Count)];
                var kind = Classify(tenant.Slug.Value);
                var answered = _lastAnswered.GetValueOrDefault(tenant.Slug.Value);
                var since = answered == 0 ? double.PositiveInfinity : Stopwatch.GetElapsedTime(answered).TotalSeconds;
                var asked = _lastAsked.GetValueOrDefault((tenant.Slug.Value, query));
                var repeated = asked != 0 && Stopwatch.GetElapsedTime(asked) <= idleTimeout;
                searched.TryAdd(tenant.Slug.Value, 0);
                var (ok, ms, failure) = await SearchOnceAsync(tenant.Slug, query, ct).ConfigureAwait(false);
                if (ok)
                {
                    samples.Add((kind, tenant.Mode, ms, since, repeated));
                }
                else
                {
                    errors.AddOrUpdate(failure, 1, (_, n) => n + 1);
                }
            }
        }, ct)).ToArray();
        await Task.WhenAll(tasks).ConfigureAwait(false);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;

        IEnumerable<double> Of(string kind, TenancyMode? mode = null) =>
            samples.Where(s => s.Kind == kind && (mode is null || s.Mode == mode)).Select(s => s.Ms);
        return new BenchFleetPhase(fleetTenants, tenants.Count, Math.Round(seconds, 2), samples.Count + errors.Values.Sum(), errors.Values.Sum(),
            errors.OrderBy(e => e.Key, StringComparer.Ordinal).ToDictionary(e => e.Key, e => e.Value), searched.Count,
            BenchFleetLatency.Of(Of("hot")), BenchFleetLatency.Of(Of("hot", TenancyMode.Shared)), BenchFleetLatency.Of(Of("hot", TenancyMode.Dedicated)),
            BenchFleetLatency.Of(samples.Where(s => s.Kind == "hot" && s.Since <= RecentSeconds).Select(s => s.Ms)),
            BenchFleetLatency.Of(samples.Where(s => s.Kind == "hot" && s.Since > RecentSeconds).Select(s => s.Ms)),
            BenchFleetLatency.Of(samples.Where(s => s.Kind == "hot" && !s.Repeated).Select(s => s.Ms)),
            BenchFleetLatency.Of(samples.Where(s => s.Kind == "hot" && s.Repeated).Select(s => s.Ms)),
            BenchFleetLatency.Of(Of("cold")), BenchFleetLatency.Of(Of("other")));
    }

    private string Classify(string slug)
    {
        var touched = LastTouched(slug);
        if (touched == 0 || Stopwatch.GetElapsedTime(touched) > idleTimeout)
        {
            return "cold";
        }

        var answered = _lastAnswered.GetValueOrDefault(slug);
        return answered != 0 && Stopwatch.GetElapsedTime(answered) <= idleTimeout ? "hot" : "other";
    }

    // The cumulative distribution of ranks 1..n with weight rank^-s.
    private static double[] Cumulative(int n, double s)
    {
        var cumulative = new double[n];
        double sum = 0;
        for (var rank = 1; rank <= n; rank++)
        {
            sum += Math.Pow(rank, -s);
            cumulative[rank - 1] = sum;
        }

        for (var i = 0; i < n; i++)
        {
            cumulative[i] /= sum;
        }

        return cumulative;
    }

    private static int Draw(double[] cumulative, Random random)
    {
        var index = Array.BinarySearch(cumulative, random.NextDouble());
        return Math.Min(index < 0 ? ~index : index, cumulative.Length - 1);
    }
}
