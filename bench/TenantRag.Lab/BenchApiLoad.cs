using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace TenantRag.Lab;

/// <summary>A tenant the load generator may search as, with its token issued up front.</summary>
internal sealed record BenchApiTarget(string Tenant, string Token);

/// <summary>What one load phase measured: successful requests, their latencies, and the failures.</summary>
internal sealed record BenchApiLoadFigures
{
    public required int Clients { get; init; }

    public required double Seconds { get; init; }

    public required int Requests { get; init; }

    public required int Errors { get; init; }

    /// <summary>Failures by kind ("429", "500", "timeout", ...), for diagnosis.</summary>
    public required IReadOnlyDictionary<string, int> ErrorKinds { get; init; }

    /// <summary>True when the phase stopped early because its distinct queries ran out.</summary>
    public required bool QueriesExhausted { get; init; }

    public required double RequestsPerSecond { get; init; }

    public required double P50Ms { get; init; }

    public required double P95Ms { get; init; }

    public required double P99Ms { get; init; }

    public required double MaxMs { get; init; }

    /// <summary>CPU time of this process (server and load generator together; PostgreSQL not included) per successful request.</summary>
    public required double ProcessCpuMsPerRequest { get; init; }

    /// <summary>Garbage collections in this process during the run (every generation counts in generation 0's count).</summary>
    public int GarbageCollections { get; init; }

    /// <summary>Time this process's threads were paused for garbage collection during the run.</summary>
    public double GcPauseMs { get; init; }

    /// <summary>CPU time of the embedded PostgreSQL cluster per successful request; null when it cannot be read.</summary>
    public required double? PostgresCpuMsPerRequest { get; init; }

    /// <summary>
    /// Requests per second if every core were busy with this work alone: cores x 1000 / CPU ms per request (this
    /// process plus PostgreSQL); null without PostgreSQL's figure. An estimate for a machine that is not shared.
    /// </summary>
    public double? CpuBoundRequestsPerSecond => PostgresCpuMsPerRequest is { } pg && ProcessCpuMsPerRequest + pg > 0
        ? Math.Round(Environment.ProcessorCount * 1000 / (ProcessCpuMsPerRequest + pg), 0)
        : null;

    public string Describe() => FormattableString.Invariant(
        $"{RequestsPerSecond,7:F1} requests/s  p50 {P50Ms,6:F1} ms  p95 {P95Ms,6:F1} ms  p99 {P99Ms,6:F1} ms  max {MaxMs,6:F1} ms  ({Requests} ok, {Errors} errors{ErrorList()} in {Seconds:F1} s, {Clients} clients{(QueriesExhausted ? ", stopped early: distinct queries ran out" : string.Empty)})");

    public string DescribeCpu() => FormattableString.Invariant(
        $"CPU per request: {ProcessCpuMsPerRequest:F2} ms in this process (server, load generator and any ingestion) + {(PostgresCpuMsPerRequest is { } pg ? pg.ToString("F2", System.Globalization.CultureInfo.InvariantCulture) + " ms" : "unknown")} in PostgreSQL; {GarbageCollections} garbage collections pausing {GcPauseMs:F1} ms in all");

    private string ErrorList() => ErrorKinds.Count == 0 ? string.Empty : ": " + string.Join(", ", ErrorKinds.Select(e => $"{e.Key} x{e.Value}"));
}

/// <summary>One measured stretch of search load, raw: <see cref="BenchApiLoad.Summarize"/> turns windows into figures.</summary>
internal sealed record BenchApiWindow(
    int Clients, double Seconds, List<double> Latencies, IReadOnlyDictionary<string, int> ErrorKinds, bool QueriesExhausted,
    double ProcessCpuMs, double? PostgresCpuMs, int GarbageCollections, double GcPauseMs);

/// <summary>What the bulk uploader did while it ran.</summary>
internal sealed record BenchApiUploadFigures
{
    public required int Uploaders { get; init; }

    public required int DocumentsPerUpload { get; init; }

    public required double Seconds { get; init; }

    public required int Uploads { get; init; }

    public required int DocumentsAdded { get; init; }

    public required long Chunks { get; init; }

    /// <summary>Uploads refused with 429 by the per-tenant ingestion limit (expected when uploaders exceed it).</summary>
    public required int Throttled { get; init; }

    public required int Errors { get; init; }

    public required IReadOnlyDictionary<string, int> ErrorKinds { get; init; }

    public double DocumentsPerSecond => Seconds > 0 ? Math.Round(DocumentsAdded / Seconds, 1) : 0;

    public double ChunksPerSecond => Seconds > 0 ? Math.Round(Chunks / Seconds, 1) : 0;

    /// <summary>Several runs of the same uploaders taken together (their times add up).</summary>
    public static BenchApiUploadFigures Combine(IReadOnlyList<BenchApiUploadFigures> runs) => new()
    {
        Uploaders = runs.Max(r => r.Uploaders),
        DocumentsPerUpload = runs.Max(r => r.DocumentsPerUpload),
        Seconds = Math.Round(runs.Sum(r => r.Seconds), 2),
        Uploads = runs.Sum(r => r.Uploads),
        DocumentsAdded = runs.Sum(r => r.DocumentsAdded),
        Chunks = runs.Sum(r => r.Chunks),
        Throttled = runs.Sum(r => r.Throttled),
        Errors = runs.Sum(r => r.Errors),
        ErrorKinds = runs.SelectMany(r => r.ErrorKinds).GroupBy(e => e.Key).OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Sum(e => e.Value)),
    };
}

/// <summary>The load generator of <c>tenantrag bench api</c>: closed-loop clients over one pooled HTTP client.</summary>
internal static class BenchApiLoad
{
    /// <summary>A client sends at most this many requests per second of its phase (a bound, never reached in practice).</summary>
    private const int MaxRequestsPerClientSecond = 20_000;

    private static readonly MediaTypeHeaderValue JsonType = new("application/json") { CharSet = "utf-8" };

    /// <summary>
    /// Runs <paramref name="clients"/> clients for <paramref name="duration"/>, each sending <c>POST /v1/search</c>
    /// back to back with what <paramref name="next"/> picks (null: nothing left, the client stops).
    /// </summary>
    public static async Task<BenchApiLoadFigures> SearchAsync(HttpClient http, BenchApiCpu cpu, int clients, TimeSpan duration, int k, int seed,
        Func<Random, (BenchApiTarget Target, string Query)?> next, CancellationToken cancellationToken) =>
        Summarize([await MeasureAsync(http, cpu, clients, duration, k, seed, next, cancellationToken).ConfigureAwait(false)]);

    /// <summary>Like <see cref="SearchAsync"/>, but returns the raw window, to be summarized with others.</summary>
    public static async Task<BenchApiWindow> MeasureAsync(HttpClient http, BenchApiCpu cpu, int clients, TimeSpan duration, int k, int seed,
        Func<Random, (BenchApiTarget Target, string Query)?> next, CancellationToken cancellationToken)
    {
        var maxPerClient = (int)Math.Min(int.MaxValue, Math.Max(1, duration.TotalSeconds) * MaxRequestsPerClientSecond);
        var latencies = new List<double>[clients];
        var errors = new Dictionary<string, int>[clients];
        var exhausted = 0;
        var cpuBefore = cpu.Sample();
        var (gcsBefore, pausedBefore) = (GC.CollectionCount(0), GC.GetTotalPauseDuration());
        var started = Stopwatch.GetTimestamp();
        var deadline = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var tasks = new Task[clients];
        for (var c = 0; c < clients; c++)
        {
            var client = c;
            latencies[client] = new List<double>(4096);
            errors[client] = [];
            tasks[client] = Task.Run(async () =>
            {
                var random = new Random(seed * 7919 + client);
                for (var i = 0; i < maxPerClient && Stopwatch.GetTimestamp() < deadline; i++)
                {
                    if (next(random) is not { } pick)
                    {
                        Interlocked.Exchange(ref exhausted, 1);
                        return;
                    }

                    var (ok, ms, kind) = await SearchOnceAsync(http, pick.Target, pick.Query, k, cancellationToken).ConfigureAwait(false);
                    if (ok)
                    {
                        latencies[client].Add(ms);
                    }
                    else
                    {
                        errors[client][kind] = errors[client].GetValueOrDefault(kind) + 1;
                    }
                }
            }, cancellationToken);
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var cpuAfter = cpu.Sample();
        var (gcsAfter, pausedAfter) = (GC.CollectionCount(0), GC.GetTotalPauseDuration());
        var processCpuMs = (cpuAfter.Process - cpuBefore.Process).TotalMilliseconds;
        double? postgresCpuMs = cpuAfter.Postgres is { } pgAfter && cpuBefore.Postgres is { } pgBefore ? (pgAfter - pgBefore).TotalMilliseconds : null;
        var errorKinds = errors.SelectMany(e => e).GroupBy(e => e.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Sum(e => e.Value), StringComparer.Ordinal);
        return new BenchApiWindow(clients, seconds, [.. latencies.SelectMany(l => l)], errorKinds, exhausted != 0,
            processCpuMs, postgresCpuMs, gcsAfter - gcsBefore, (pausedAfter - pausedBefore).TotalMilliseconds);
    }

    /// <summary>The figures of one or more windows taken together (latency percentiles over all their requests).</summary>
    public static BenchApiLoadFigures Summarize(IReadOnlyList<BenchApiWindow> windows)
    {
        var all = windows.SelectMany(w => w.Latencies).ToList();
        all.Sort();
        var seconds = windows.Sum(w => w.Seconds);
        var processCpuMs = windows.Sum(w => w.ProcessCpuMs);
        double? postgresCpuMs = windows.All(w => w.PostgresCpuMs is not null) ? windows.Sum(w => w.PostgresCpuMs!.Value) : null;
        var errorKinds = windows.SelectMany(w => w.ErrorKinds).GroupBy(e => e.Key).OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Sum(e => e.Value));
        return new BenchApiLoadFigures
        {
            Clients = windows.Max(w => w.Clients),
            Seconds = Math.Round(seconds, 2),
            Requests = all.Count,
            Errors = errorKinds.Values.Sum(),
            ErrorKinds = errorKinds,
            QueriesExhausted = windows.Any(w => w.QueriesExhausted),
            RequestsPerSecond = Math.Round(seconds > 0 ? all.Count / seconds : 0, 1),
            P50Ms = Math.Round(Percentile(all, 0.50), 2),
            P95Ms = Math.Round(Percentile(all, 0.95), 2),
            P99Ms = Math.Round(Percentile(all, 0.99), 2),
            MaxMs = Math.Round(all.Count > 0 ? all[^1] : 0, 2),
            ProcessCpuMsPerRequest = Math.Round(all.Count > 0 ? processCpuMs / all.Count : 0, 2),
            GarbageCollections = windows.Sum(w => w.GarbageCollections),
            GcPauseMs = Math.Round(windows.Sum(w => w.GcPauseMs), 1),
            PostgresCpuMsPerRequest = postgresCpuMs is { } pgMs && all.Count > 0 ? Math.Round(pgMs / all.Count, 2) : null,
        };
    }

    /// <summary>One search; any status but 200 (or no response) is a failure.</summary>
    public static async Task<(bool Ok, double Ms, string Kind)> SearchOnceAsync(HttpClient http, BenchApiTarget target, string query, int k, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new SearchBody(query, k));
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/search") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = JsonType;
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", target.Token);
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
            var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            return response.StatusCode == HttpStatusCode.OK ? (true, ms, string.Empty) : (false, ms, ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (false, Stopwatch.GetElapsedTime(started).TotalMilliseconds, "timeout");
        }
        catch (HttpRequestException ex)
        {
            return (false, Stopwatch.GetElapsedTime(started).TotalMilliseconds, ex.HttpRequestError.ToString());
        }
    }

    /// <summary>
    /// <paramref name="uploaders"/> concurrent bulk uploads of new documents as a <c>.jsonl</c> file each
    /// (<c>POST /v1/documents</c>, multipart), back to back until <paramref name="stop"/> or the batches run out.
    /// Uploads in flight when <paramref name="stop"/> fires finish (bounded by the client's timeout).
    /// </summary>
    public static async Task<BenchApiUploadFigures> UploadAsync(HttpClient http, BenchApiTarget target, int uploaders, int documentsPerUpload,
        int maxUploads, Func<int, byte[]> batch, CancellationToken stop, CancellationToken cancellationToken)
    {
        var next = -1;
        int uploads = 0, added = 0, throttled = 0;
        long chunks = 0;
        var errors = new System.Collections.Concurrent.ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var started = Stopwatch.GetTimestamp();
        var tasks = Enumerable.Range(0, uploaders).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var index = Interlocked.Increment(ref next);
                if (index >= maxUploads)
                {
                    return;
                }

                using var form = new MultipartFormDataContent();
                var file = new ByteArrayContent(batch(index));
                file.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
                form.Add(file, "file", $"bulk-{index:D5}.jsonl");
                using var request = new HttpRequestMessage(HttpMethod.Post, "v1/documents") { Content = form };
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", target.Token);
                request.Headers.TryAddWithoutValidation("Prefer", "wait=60"); // the upload is a job: wait for its outcome
                try
                {
                    using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
                    Interlocked.Increment(ref uploads);
                    if (response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK)
                    {
                        using var json = JsonDocument.Parse(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false));
                        Interlocked.Add(ref added, json.RootElement.GetProperty("added").GetInt32());
                        Interlocked.Add(ref chunks, json.RootElement.GetProperty("chunks").GetInt64());
                    }
                    else if (response.StatusCode == HttpStatusCode.TooManyRequests)
                    {
                        Interlocked.Increment(ref throttled);
                        var wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
                        await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(1000, wait.TotalMilliseconds)), cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        errors.AddOrUpdate(((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture), 1, (_, n) => n + 1);
                    }
                }
                catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    errors.AddOrUpdate("timeout", 1, (_, n) => n + 1);
                }
                catch (HttpRequestException ex)
                {
                    errors.AddOrUpdate(ex.HttpRequestError.ToString(), 1, (_, n) => n + 1);
                }
            }
        }, cancellationToken)).ToArray();
        await Task.WhenAll(tasks).ConfigureAwait(false);
        var errorKinds = errors.OrderBy(e => e.Key, StringComparer.Ordinal).ToDictionary(e => e.Key, e => e.Value);
        return new BenchApiUploadFigures
        {
            Uploaders = uploaders,
            DocumentsPerUpload = documentsPerUpload,
            Seconds = Math.Round(Stopwatch.GetElapsedTime(started).TotalSeconds, 2),
            Uploads = uploads,
            DocumentsAdded = added,
            Chunks = chunks,
            Throttled = throttled,
            Errors = errorKinds.Values.Sum(),
            ErrorKinds = errorKinds,
        };
    }

    /// <summary>A <c>.jsonl</c> BEIR file of <paramref name="documents"/>.</summary>
    public static byte[] Jsonl(IEnumerable<BenchApiDocument> documents)
    {
        var text = new StringBuilder();
        foreach (var d in documents)
        {
            text.Append(JsonSerializer.Serialize(new JsonlLine(d.Id, d.Title, d.Text))).Append('\n');
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>Nearest-rank percentile of sorted values (0 when there are none).</summary>
    public static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    private sealed record SearchBody(
        [property: System.Text.Json.Serialization.JsonPropertyName("query")] string Query,
        [property: System.Text.Json.Serialization.JsonPropertyName("k")] int K);

    private sealed record JsonlLine(
        [property: System.Text.Json.Serialization.JsonPropertyName("_id")] string Id,
        [property: System.Text.Json.Serialization.JsonPropertyName("title")] string Title,
        [property: System.Text.Json.Serialization.JsonPropertyName("text")] string Text);
}
