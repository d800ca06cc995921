namespace TenantRag.Rag.Generation;

/// <summary>An OpenAI-compatible chat endpoint (OpenAI, Azure OpenAI's v1 API, Ollama, vLLM, llama.cpp server...).</summary>
public sealed class ChatEndpointOptions
{
    /// <summary>Environment variable with the endpoint's base URL, e.g. <c>http://127.0.0.1:11434/v1</c>.</summary>
    public const string UrlVariable = "TENANTRAG_CHAT_URL";

    /// <summary>Environment variable with the model name, e.g. <c>llama3.2</c>.</summary>
    public const string ModelVariable = "TENANTRAG_CHAT_MODEL";

    /// <summary>Environment variable with the API key (sent as a bearer token), if the endpoint needs one.</summary>
    public const string ApiKeyVariable = "TENANTRAG_CHAT_API_KEY";

    /// <summary>The base URL; <c>chat/completions</c> is appended unless the URL already ends with it.</summary>
    public required Uri Endpoint { get; set; }

    /// <summary>The model to ask.</summary>
    public required string Model { get; set; }

    /// <summary>The API key, or null when the endpoint needs none. Never logged.</summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// How long the endpoint may take to answer a request, and then to send each next piece of a streamed answer
    /// (default 2 minutes).
    /// </summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>The URL requests are posted to.</summary>
    public Uri CompletionsUri => EndsWithCompletions
        ? Endpoint
        : new Uri(Endpoint.AbsoluteUri.TrimEnd('/') + "/chat/completions");

    /// <summary>The API's base URL (<see cref="Endpoint"/> without a trailing <c>chat/completions</c> or slash), as the OpenAI client takes it.</summary>
    public Uri BaseUri
    {
        get
        {
            var url = Endpoint.AbsoluteUri.TrimEnd('/');
            return new Uri(EndsWithCompletions ? url[..^"/chat/completions".Length] : url);
        }
    }

    private bool EndsWithCompletions => Endpoint.AbsolutePath.TrimEnd('/').EndsWith("/chat/completions", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The endpoint the environment configures (<see cref="UrlVariable"/>, <see cref="ModelVariable"/>,
    /// <see cref="ApiKeyVariable"/>), or null when <see cref="UrlVariable"/> is not set.
    /// </summary>
    /// <param name="variable">Reads a variable; null for <see cref="Environment.GetEnvironmentVariable(string)"/>.</param>
    /// <exception cref="ConfigurationException">The URL is not an absolute http(s) URL, or the model is missing.</exception>
    public static ChatEndpointOptions? FromEnvironment(Func<string, string?>? variable = null)
    {
        variable ??= Environment.GetEnvironmentVariable;
        var url = variable(UrlVariable)?.Trim();
        if (string.IsNullOrEmpty(url))
        {
            return null;
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https"))
        {
            throw new ConfigurationException($"{UrlVariable} is '{url}', not an absolute http(s) URL: set it to the endpoint's base URL, e.g. http://127.0.0.1:11434/v1");
        }

        var model = variable(ModelVariable)?.Trim();
        if (string.IsNullOrEmpty(model))
        {
            throw new ConfigurationException($"{UrlVariable} is set but {ModelVariable} is not: set it to the chat model's name");
        }

        var key = variable(ApiKeyVariable)?.Trim();
        return new ChatEndpointOptions { Endpoint = endpoint, Model = model, ApiKey = string.IsNullOrEmpty(key) ? null : key };
    }
}
