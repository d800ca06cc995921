using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace TenantRag.Rag.Generation;

/// <summary>
/// A small <see cref="IChatClient"/> for OpenAI-compatible <c>chat/completions</c> endpoints over
/// <see cref="HttpClient"/>: text messages in, text out, streamed as server-sent events. No tools, no images.
/// </summary>
public sealed class OpenAICompatibleChatClient : IChatClient
{
    private const int MaxErrorBodyCharacters = 300;

    private readonly ChatEndpointOptions _options;
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly ChatClientMetadata _metadata;

    /// <summary>Creates a client.</summary>
    /// <param name="options">The endpoint, model and key.</param>
    /// <param name="httpClient">The HTTP client to send with; null for one of its own (disposed with this client).</param>
    public OpenAICompatibleChatClient(ChatEndpointOptions options, HttpClient? httpClient = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Endpoint);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Model);
        _options = options;
        _ownsHttp = httpClient is null;
        _http = httpClient ?? new HttpClient { Timeout = options.Timeout };
        _metadata = new ChatClientMetadata("openai-compatible", options.Endpoint, options.Model);
    }

    /// <inheritdoc />
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        using var request = CreateRequest(messages, options, stream: false);
        using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            using var json = await JsonDocument.ParseAsync(stream, default, cancellationToken).ConfigureAwait(false);
            var root = json.RootElement;
            var choice = FirstChoice(root);
            var text = choice is { } c && c.TryGetProperty("message", out var message) && message.TryGetProperty("content", out var content)
                && content.ValueKind == JsonValueKind.String
                ? content.GetString() ?? string.Empty
                : string.Empty;
            return new ChatResponse(new ChatMessage(ChatRole.Assistant, text))
            {
                ResponseId = StringOrNull(root, "id"),
                ModelId = StringOrNull(root, "model") ?? _options.Model,
                FinishReason = choice is { } f ? FinishReason(f) : null,
                Usage = Usage(root),
            };
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var request = CreateRequest(messages, options, stream: true);
        using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            using var reader = new StreamReader(stream, Encoding.UTF8);

            // Server-sent events: "data:" lines accumulate until a blank line ends the event; "[DONE]" ends the stream.
            var data = new StringBuilder();
            while (true)
            {
                var line = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
                if (line is null || line.Length == 0)
                {
                    if (data.Length > 0)
                    {
                        var payload = data.ToString();
                        data.Clear();
                        if (payload.Trim() == "[DONE]")
                        {
                            yield break;
                        }

                        if (ParseChunk(payload) is { } update)
                        {
                            yield return update;
                        }
                    }

                    if (line is null)
                    {
                        yield break;
                    }

                    continue;
                }

                if (line.StartsWith("data:", StringComparison.Ordinal))
                {
                    if (data.Length > 0)
                    {
                        data.Append('\n');
                    }

                    data.Append(line.AsSpan(5).TrimStart(' '));
                }
            }
        }
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
        {
            return null;
        }

        return serviceType == typeof(ChatClientMetadata) ? _metadata : serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    private HttpRequestMessage CreateRequest(IEnumerable<ChatMessage> messages, ChatOptions? options, bool stream)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var body = new MemoryStream();
        using (var json = new Utf8JsonWriter(body))
        {
            json.WriteStartObject();
            json.WriteString("model", options?.ModelId ?? _options.Model);
            json.WriteBoolean("stream", stream);
            if (options?.Temperature is { } temperature)
            {
                json.WriteNumber("temperature", temperature);
            }

            if (options?.MaxOutputTokens is { } maxTokens)
            {
                json.WriteNumber("max_tokens", maxTokens);
            }

            json.WriteStartArray("messages");
            foreach (var message in messages)
            {
                json.WriteStartObject();
                json.WriteString("role", message.Role.Value);
                json.WriteString("content", message.Text);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        body.Position = 0;
        var request = new HttpRequestMessage(HttpMethod.Post, _options.CompletionsUri) { Content = new StreamContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(stream ? "text/event-stream" : "application/json"));
        if (_options.ApiKey is { } key)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return request;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new TenantRagException($"could not reach the chat endpoint {_options.CompletionsUri} ({ex.Message}): check {ChatEndpointOptions.UrlVariable}", ex) { IsTransient = true };
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TenantRagException($"the chat endpoint {_options.CompletionsUri} did not answer within {_options.Timeout.TotalSeconds:F0} s: try again, or check the endpoint", ex) { IsTransient = true };
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (body.Length > MaxErrorBodyCharacters)
            {
                body = body[..MaxErrorBodyCharacters] + "…";
            }

            var hint = response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden
                ? $"check {ChatEndpointOptions.ApiKeyVariable}"
                : response.StatusCode == HttpStatusCode.NotFound
                    ? $"check {ChatEndpointOptions.UrlVariable} and {ChatEndpointOptions.ModelVariable}"
                    : "try again later, or check the endpoint";
            var transient = response.StatusCode == HttpStatusCode.TooManyRequests || (int)response.StatusCode >= 500;
            throw new TenantRagException($"the chat endpoint {_options.CompletionsUri} answered {(int)response.StatusCode} {response.ReasonPhrase}: {body.ReplaceLineEndings(" ")} ({hint})") { IsTransient = transient };
        }
    }

    private ChatResponseUpdate? ParseChunk(string payload)
    {
        using var json = JsonDocument.Parse(payload);
        var root = json.RootElement;
        if (root.TryGetProperty("error", out var error))
        {
            throw new TenantRagException($"the chat endpoint {_options.CompletionsUri} reported an error while streaming: {error.ToString().ReplaceLineEndings(" ")}");
        }

        var choice = FirstChoice(root);
        string? text = null;
        if (choice is { } c && c.TryGetProperty("delta", out var delta) && delta.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String)
        {
            text = content.GetString();
        }

        var finish = choice is { } f ? FinishReason(f) : null;
        var usage = Usage(root);
        if (string.IsNullOrEmpty(text) && finish is null && usage is null)
        {
            return null;
        }

        var update = new ChatResponseUpdate(ChatRole.Assistant, text ?? string.Empty)
        {
            ResponseId = StringOrNull(root, "id"),
            ModelId = StringOrNull(root, "model") ?? _options.Model,
            FinishReason = finish,
        };
        if (usage is not null)
        {
            update.Contents.Add(new UsageContent(usage));
        }

        return update;
    }

    private static JsonElement? FirstChoice(JsonElement root) =>
        root.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0 ? choices[0] : null;

    private static ChatFinishReason? FinishReason(JsonElement choice) =>
        choice.TryGetProperty("finish_reason", out var reason) && reason.ValueKind == JsonValueKind.String ? new ChatFinishReason(reason.GetString()!) : null;

    private static string? StringOrNull(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static UsageDetails? Usage(JsonElement root)
    {
        if (!root.TryGetProperty("usage", out var usage) || usage.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        static long? Number(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.TryGetInt64(out var n) ? n : null;
        return new UsageDetails
        {
            InputTokenCount = Number(usage, "prompt_tokens"),
            OutputTokenCount = Number(usage, "completion_tokens"),
            TotalTokenCount = Number(usage, "total_tokens"),
        };
    }
}
