using System.ClientModel;
using System.ClientModel.Primitives;
using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.AI;
using StreamingChatCompletionUpdate = OpenAI.Chat.StreamingChatCompletionUpdate;

namespace TenantRag.Rag.Generation;

/// <summary>
/// Turns the OpenAI client's failures into a <see cref="TenantRagException"/> that names the endpoint, what it answered
/// and the setting to check (<see cref="ChatEndpointOptions.UrlVariable"/>, <see cref="ChatEndpointOptions.ModelVariable"/>
/// or <see cref="ChatEndpointOptions.ApiKeyVariable"/>), never the key; transient when trying again may help.
/// </summary>
internal sealed class ChatEndpointErrors(IChatClient inner, ChatEndpointOptions endpoint) : DelegatingChatClient(inner)
{
    private const int MaxErrorBodyCharacters = 300;

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        try
        {
            return await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (Translate(ex, cancellationToken) is { } error)
        {
            throw error;
        }
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var updates = base.GetStreamingResponseAsync(messages, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
        await using (updates.ConfigureAwait(false))
        {
            while (true)
            {
                bool more;
                try
                {
                    more = await updates.MoveNextAsync().ConfigureAwait(false);
                }
                catch (Exception ex) when (Translate(ex, cancellationToken) is { } error)
                {
                    throw error;
                }

                if (!more)
                {
                    yield break;
                }

                if (StreamedError(updates.Current) is { } reported)
                {
                    throw new TenantRagException($"the chat endpoint {endpoint.CompletionsUri} reported an error while streaming: {Shortened(reported)}");
                }

                yield return updates.Current;
            }
        }
    }

    // The OpenAI client reads an {"error": ...} event in the middle of a stream as an empty update and goes on: the answer
    // would end early without a word. Only updates without content are looked at, so answer text costs nothing.
    private static string? StreamedError(ChatResponseUpdate update)
    {
        if (update.Contents.Count > 0 || update.RawRepresentation is not StreamingChatCompletionUpdate raw)
        {
            return null;
        }

        using var json = JsonDocument.Parse(ModelReaderWriter.Write(raw));
        return json.RootElement.TryGetProperty("error", out var error) && error.ValueKind != JsonValueKind.Null ? error.GetRawText() : null;
    }

    private static string Shortened(string text) =>
        (text.Length > MaxErrorBodyCharacters ? text[..MaxErrorBodyCharacters] + "…" : text).ReplaceLineEndings(" ");

    private TenantRagException? Translate(Exception exception, CancellationToken cancellationToken)
    {
        var uri = endpoint.CompletionsUri;
        return exception switch
        {
            TenantRagException => null,
            OperationCanceledException when cancellationToken.IsCancellationRequested => null,
            OperationCanceledException => new TenantRagException(string.Create(CultureInfo.InvariantCulture,
                $"the chat endpoint {uri} did not answer within {endpoint.Timeout.TotalSeconds:F0} s: try again, or check the endpoint"), exception) { IsTransient = true },
            ClientResultException { Status: > 0 } failed => Answered(failed),
            ClientResultException { InnerException: { } cause } => Unreachable(cause, exception),
            HttpRequestException or IOException => Unreachable(exception, exception),
            JsonException or FormatException => new TenantRagException(
                $"the chat endpoint {uri} answered something that is not an OpenAI chat completion ({exception.Message}): check {ChatEndpointOptions.UrlVariable}", exception),
            _ => null,
        };
    }

    private TenantRagException Unreachable(Exception cause, Exception exception) =>
        new($"could not reach the chat endpoint {endpoint.CompletionsUri} ({cause.Message}): check {ChatEndpointOptions.UrlVariable}", exception) { IsTransient = true };

    private TenantRagException Answered(ClientResultException failed)
    {
        var status = (HttpStatusCode)failed.Status;
        var response = failed.GetRawResponse();
        var hint = status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden
            ? $"check {ChatEndpointOptions.ApiKeyVariable}"
            : status == HttpStatusCode.NotFound
                ? $"check {ChatEndpointOptions.UrlVariable} and {ChatEndpointOptions.ModelVariable}"
                : "try again later, or check the endpoint";
        var transient = status == HttpStatusCode.TooManyRequests || (int)status >= 500;
        return new TenantRagException(string.Create(CultureInfo.InvariantCulture,
            $"the chat endpoint {endpoint.CompletionsUri} answered {failed.Status} {response?.ReasonPhrase}: {Body(response)} ({hint})"), failed) { IsTransient = transient };
    }

    private static string Body(PipelineResponse? response)
    {
        string body;
        try
        {
            body = response?.Content.ToString() ?? string.Empty;
        }
        catch (InvalidOperationException)
        {
            // A streamed response whose body was never read: the status says enough.
            body = string.Empty;
        }

        return Shortened(body);
    }
}
