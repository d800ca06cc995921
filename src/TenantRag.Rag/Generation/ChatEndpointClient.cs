using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;

namespace TenantRag.Rag.Generation;

/// <summary>
/// The <see cref="IChatClient"/> for an OpenAI-compatible <c>chat/completions</c> endpoint (OpenAI, Azure OpenAI's v1
/// API, Ollama, vLLM, llama.cpp server...): the OpenAI client through <c>Microsoft.Extensions.AI.OpenAI</c>, with a failing
/// endpoint reported as a <see cref="TenantRagException"/> that says which setting to check.
/// </summary>
public static class ChatEndpointClient
{
    /// <summary>Creates a client for <paramref name="options"/>' endpoint and model.</summary>
    /// <param name="options">The endpoint, model, key and timeout.</param>
    /// <param name="httpClient">The HTTP client to send with (not disposed with the chat client); null for the OpenAI client's shared one.</param>
    /// <returns>
    /// The client. It sends no <c>Authorization</c> header without <see cref="ChatEndpointOptions.ApiKey"/>, does not retry
    /// (a failure is one clear error at once; <see cref="TenantRagException.IsTransient"/> says whether trying again may
    /// help), and logs nothing: neither prompts nor the key.
    /// </returns>
    public static IChatClient Create(ChatEndpointOptions options, HttpClient? httpClient = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Endpoint);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Model);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.Timeout, TimeSpan.Zero);

        var clientOptions = new OpenAIClientOptions
        {
            Endpoint = options.BaseUri,
            NetworkTimeout = options.Timeout,

            // One request per question: an answer that waits through the library's back-off is slower to fail than to retry.
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            ClientLoggingOptions = new ClientLoggingOptions { EnableLogging = false, EnableMessageLogging = false, EnableMessageContentLogging = false },
        };
        if (httpClient is not null)
        {
            clientOptions.Transport = new HttpClientPipelineTransport(httpClient);
        }

        // The OpenAI client always authenticates; local servers (Ollama, llama.cpp) need no key, and get no Authorization
        // header rather than a made-up one: the header is taken off again just before the request leaves.
        if (options.ApiKey is null)
        {
            clientOptions.AddPolicy(new WithoutAuthorization(), PipelinePosition.BeforeTransport);
        }

        var chat = new ChatClient(options.Model, new ApiKeyCredential(options.ApiKey ?? "none"), clientOptions);
        return new ChatEndpointErrors(chat.AsIChatClient(), options);
    }

    private sealed class WithoutAuthorization : PipelinePolicy
    {
        public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        {
            message.Request.Headers.Remove("Authorization");
            ProcessNext(message, pipeline, currentIndex);
        }

        public override ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        {
            message.Request.Headers.Remove("Authorization");
            return ProcessNextAsync(message, pipeline, currentIndex);
        }
    }
}
