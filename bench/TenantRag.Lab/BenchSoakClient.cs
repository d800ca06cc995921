using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;

namespace TenantRag.Lab;

/// <summary>An answer: its status (0 when none came) and its body.</summary>
internal readonly record struct BenchSoakResponse(int Status, string Body)
{
    /// <summary>The body as JSON (a detached copy).</summary>
    public JsonElement Json()
    {
        using var document = JsonDocument.Parse(Body);
        return document.RootElement.Clone();
    }
}

/// <summary>
/// The soak's HTTP client: sends as a <see cref="BenchSoakCaller"/>, counts every answer in <see cref="BenchSoakCounts"/>,
/// and honours <c>Retry-After</c> on 429 (at most <see cref="MaxBackoff"/>) before handing the answer back.
/// </summary>
internal sealed class BenchSoakClient(HttpClient http, BenchSoakCounts counts)
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(2);
    private static readonly MediaTypeHeaderValue JsonType = new("application/json") { CharSet = "utf-8" };

    /// <summary>Where the answers are counted.</summary>
    public BenchSoakCounts Counts => counts;

    /// <summary>
    /// Sends <paramref name="method"/> <paramref name="path"/> with <paramref name="json"/> (if any) as <paramref name="caller"/>.
    /// <paramref name="expected"/> lists the statuses the operation may get besides 429; any other answer is unexpected.
    /// </summary>
    public async Task<BenchSoakResponse> SendAsync(string operation, BenchSoakCaller caller, HttpMethod method, string path, object? json,
        IReadOnlyCollection<int> expected, bool events = false, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", caller.Token);
        if (events)
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        }

        if (method == HttpMethod.Post && path == "v1/documents")
        {
            // An upload is a job: wait for it, so that an acknowledged write (201) is a stored document.
            request.Headers.TryAddWithoutValidation("Prefer", "wait=60");
        }

        if (json is not null)
        {
            request.Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(json));
            request.Content.Headers.ContentType = JsonType;
        }

        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            counts.Record(operation, status.ToString(CultureInfo.InvariantCulture), status == 429 || expected.Contains(status));
            if (status == 429)
            {
                var wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
                await Task.Delay(wait < MaxBackoff ? wait : MaxBackoff, cancellationToken).ConfigureAwait(false);
            }

            return new BenchSoakResponse(status, body);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            counts.Record(operation, "timeout", expected: false);
        }
        catch (HttpRequestException ex)
        {
            counts.Record(operation, ex.HttpRequestError.ToString(), expected: false);
        }

        return new BenchSoakResponse(0, string.Empty);
    }

    /// <summary>
    /// The events of a <c>text/event-stream</c> body as (event, data) pairs; a data line without an event line is a
    /// "message".
    /// </summary>
    public static IEnumerable<(string Event, string Data)> Events(string body)
    {
        var name = "message";
        var data = new List<string>();
        foreach (var raw in body.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0)
            {
                if (data.Count > 0)
                {
                    yield return (name, string.Join('\n', data));
                }

                name = "message";
                data.Clear();
            }
            else if (line.StartsWith("event:", StringComparison.Ordinal))
            {
                name = line["event:".Length..].Trim();
            }
            else if (line.StartsWith("data:", StringComparison.Ordinal))
            {
                data.Add(line["data:".Length..].TrimStart());
            }
        }

        if (data.Count > 0)
        {
            yield return (name, string.Join('\n', data));
        }
    }
}
