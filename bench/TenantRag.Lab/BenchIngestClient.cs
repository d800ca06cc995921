using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace TenantRag.Lab;

/// <summary>
/// How one upload of <c>tenantrag bench ingest</c> ended: stored (or why not), when, and its chunks; for a job the server
/// timed, also how long it waited for a worker and how long the worker took (by the server's clock).
/// </summary>
internal sealed record BenchIngestUpload(bool Stored, string Outcome, double Seconds, long Chunks, int Documents, double? QueuedSeconds = null, double? RunSeconds = null);

/// <summary>The answer to one <c>POST /v1/documents</c>: stored, queued as the job at <c>Job</c>, or refused.</summary>
internal sealed record BenchIngestPosted(Uri? Job, bool Stored, string Outcome, long Chunks, int Documents);

/// <summary>
/// Uploads and searches of <c>tenantrag bench ingest</c> over HTTP. An upload is stored when <c>POST /v1/documents</c>
/// answers 201 or 200, or, when it answers 202 with a job, once <c>GET /v1/jobs/{id}</c> says the job succeeded: the same
/// bench runs against the server that ingests within the request and the one that queues jobs.
/// </summary>
internal sealed class BenchIngestClient(HttpClient http, TimeSpan timeout)
{
    private static readonly MediaTypeHeaderValue JsonType = new("application/json") { CharSet = "utf-8" };

    /// <summary>
    /// Uploads <paramref name="content"/> as <paramref name="fileName"/> and waits until it is stored (or refused, or
    /// <paramref name="pollInterval"/> polls past the timeout); 429 is retried after the server's <c>Retry-After</c>.
    /// <paramref name="waitSeconds"/> asks a job server to answer when the job is done (<c>Prefer: wait</c>).
    /// </summary>
    public async Task<BenchIngestUpload> UploadAsync(BenchApiTarget target, string fileName, byte[] content, string mediaType, int waitSeconds,
        TimeSpan pollInterval, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var posted = await PostAsync(target, fileName, content, mediaType, waitSeconds, started, cancellationToken).ConfigureAwait(false);
        return posted.Job is { } job
            ? await WaitForJobAsync(target, job, started, pollInterval, cancellationToken).ConfigureAwait(false)
            : new BenchIngestUpload(posted.Stored, posted.Outcome, Stopwatch.GetElapsedTime(started).TotalSeconds, posted.Chunks, posted.Documents);
    }

    /// <summary>
    /// Posts the file: stored within the request (201, 200), queued as a job (202, with its address), or refused (any
    /// other status). 429 is retried after the server's <c>Retry-After</c> for <paramref name="retryFor"/> from
    /// <paramref name="started"/> (default: the timeout).
    /// </summary>
    public async Task<BenchIngestPosted> PostAsync(BenchApiTarget target, string fileName, byte[] content, string mediaType, int waitSeconds, long started,
        CancellationToken cancellationToken, TimeSpan? retryFor = null)
    {
        while (true)
        {
            using var form = new MultipartFormDataContent();
            var file = new ByteArrayContent(content);
            file.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
            form.Add(file, "file", fileName);
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/documents") { Content = form };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", target.Token);
            if (waitSeconds > 0)
            {
                request.Headers.TryAddWithoutValidation("Prefer", string.Create(CultureInfo.InvariantCulture, $"wait={waitSeconds}"));
            }

            using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            switch (response.StatusCode)
            {
                case HttpStatusCode.Created or HttpStatusCode.OK:
                    var body = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken).ConfigureAwait(false);
                    return new BenchIngestPosted(null, true, "stored", Chunks(body, "chunks"), Documents(body));
                case HttpStatusCode.Accepted:
                    var accepted = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken).ConfigureAwait(false);
                    var job = response.Headers.Location is { } location
                        ? new Uri(http.BaseAddress!, location)
                        : new Uri(http.BaseAddress!, $"v1/jobs/{Text(accepted, "jobId")}");
                    return new BenchIngestPosted(job, false, "queued", 0, 0);
                case HttpStatusCode.TooManyRequests when Stopwatch.GetElapsedTime(started) < (retryFor ?? timeout):
                    var wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
                    await Task.Delay(wait < TimeSpan.FromSeconds(1) ? wait : TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
                    continue;
                default:
                    return new BenchIngestPosted(null, false, string.Create(CultureInfo.InvariantCulture, $"refused: {(int)response.StatusCode}"), 0, 0);
            }
        }
    }

    /// <summary>Whether any search of <paramref name="target"/> for <paramref name="query"/> returns a hit.</summary>
    public async Task<bool> FindsAsync(BenchApiTarget target, string query, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/search")
        {
            Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object> { ["query"] = query, ["k"] = 1 })),
        };
        request.Content.Headers.ContentType = JsonType;
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", target.Token);
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new BenchFailedException($"a search of {target.Tenant} answered {(int)response.StatusCode}: the server is not answering searches");
        }

        var body = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken).ConfigureAwait(false);
        return body.GetProperty("hits").GetArrayLength() > 0;
    }

    /// <summary>
    /// Seconds from <paramref name="started"/> until a search of <paramref name="target"/> for <paramref name="query"/> finds
    /// something, asking every <paramref name="interval"/>; null when nothing was found within the timeout.
    /// </summary>
    public async Task<double?> FirstFoundAsync(BenchApiTarget target, string query, long started, TimeSpan interval, CancellationToken cancellationToken)
    {
        while (Stopwatch.GetElapsedTime(started) < timeout)
        {
            if (await FindsAsync(target, query, cancellationToken).ConfigureAwait(false))
            {
                return Stopwatch.GetElapsedTime(started).TotalSeconds;
            }

            await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
        }

        return null;
    }

    /// <summary>Whether the job at <paramref name="job"/> has succeeded or failed.</summary>
    public async Task<bool> JobDoneAsync(BenchApiTarget target, Uri job, CancellationToken cancellationToken) =>
        (await GetJobAsync(target, job, cancellationToken).ConfigureAwait(false)) is not { } body || Text(body, "status") is "succeeded" or "failed";

    /// <summary>
    /// Polls the job at <paramref name="job"/> every <paramref name="pollInterval"/> until it succeeded or failed, or the
    /// timeout passed since <paramref name="started"/>.
    /// </summary>
    public async Task<BenchIngestUpload> WaitForJobAsync(BenchApiTarget target, Uri job, long started, TimeSpan pollInterval, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (await GetJobAsync(target, job, cancellationToken).ConfigureAwait(false) is not { } body)
            {
                return Finished(started, "job not found", null);
            }

            var status = Text(body, "status");
            if (status is "succeeded" or "failed")
            {
                return Finished(started, status == "succeeded" ? "stored" : $"failed: {Text(body, "error")}", body);
            }

            if (Stopwatch.GetElapsedTime(started) >= timeout)
            {
                return Finished(started, $"still {status} after {timeout.TotalSeconds:F0} s", body);
            }

            await Task.Delay(pollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    // The job's state, or null when the server does not find it.
    private async Task<JsonElement?> GetJobAsync(BenchApiTarget target, Uri job, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, job);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", target.Token);
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        return response.StatusCode == HttpStatusCode.OK
            ? await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken).ConfigureAwait(false)
            : null;
    }

    private static BenchIngestUpload Finished(long started, string outcome, JsonElement? job) =>
        new(outcome == "stored", outcome, Stopwatch.GetElapsedTime(started).TotalSeconds, job is { } body ? Chunks(body, "chunksTotal") : 0,
            job is { } done ? Documents(done) : 0, Between(job, "createdAt", "startedAt"), Between(job, "startedAt", "finishedAt"));

    // Seconds between two of the job's times, when it has both.
    private static double? Between(JsonElement? job, string from, string to) =>
        job is { } body && Time(body, from) is { } start && Time(body, to) is { } end ? (end - start).TotalSeconds : null;

    private static DateTimeOffset? Time(JsonElement body, string name) =>
        body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.TryGetDateTimeOffset(out var time) ? time : null;

    private static long Chunks(JsonElement body, string name) =>
        body.TryGetProperty(name, out var value) && value.TryGetInt64(out var count) ? count : 0;

    private static int Documents(JsonElement body) =>
        body.TryGetProperty("documentIds", out var ids) && ids.ValueKind == JsonValueKind.Array ? ids.GetArrayLength() : 0;

    private static string Text(JsonElement body, string name) =>
        body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() ?? string.Empty : string.Empty;
}
