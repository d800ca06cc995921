using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using TenantRag.Rag.Generation;

namespace TenantRag.Rag.Tests.Search;

public sealed class ChatEndpointClientTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ChatEndpointOptions Endpoint => new() { Endpoint = new Uri("http://127.0.0.1:11434/v1/"), Model = "tiny", ApiKey = "sk-test" };

    [Fact]
    public async Task GetStreamingResponseAsync_ServerSentEvents_YieldsTextPiecesUntilDone()
    {
        var handler = new ScriptedHandler(HttpStatusCode.OK, "text/event-stream",
            ": keep-alive\n\n"
            + "data: {\"id\":\"r1\",\"model\":\"tiny\",\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}\n\n"
            + "data: {\"id\":\"r1\",\"choices\":[{\"delta\":{\"content\":\"Hello \"}}]}\n\n"
            + "data: {\"id\":\"r1\",\"choices\":[{\"delta\":{\"content\":\"world [1].\"},\"finish_reason\":\"stop\"}]}\n\n"
            + "data: [DONE]\n\n"
            + "data: {\"choices\":[{\"delta\":{\"content\":\"never read\"}}]}\n\n");
        using var client = ChatEndpointClient.Create(Endpoint, new HttpClient(handler));

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.System, "Be brief."), new ChatMessage(ChatRole.User, "Hi")], new ChatOptions { Temperature = 0 }, Ct))
        {
            updates.Add(update);
        }

        Assert.Equal("Hello world [1].", string.Concat(updates.Select(u => u.Text)));
        Assert.Equal(ChatFinishReason.Stop, updates[^1].FinishReason);
        Assert.Equal(new Uri("http://127.0.0.1:11434/v1/chat/completions"), handler.Request!.RequestUri);
        Assert.Equal("Bearer sk-test", handler.Request.Headers.Authorization!.ToString());
        using var body = JsonDocument.Parse(handler.Body!);
        Assert.Equal("tiny", body.RootElement.GetProperty("model").GetString());
        Assert.True(body.RootElement.GetProperty("stream").GetBoolean());
        Assert.Equal(0, body.RootElement.GetProperty("temperature").GetDouble());
        Assert.Equal(["system", "user"], body.RootElement.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("role").GetString()));
    }

    [Fact]
    public async Task GetResponseAsync_Json_ReturnsMessageAndUsage()
    {
        var handler = new ScriptedHandler(HttpStatusCode.OK, "application/json",
            "{\"id\":\"r2\",\"model\":\"tiny\",\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"Done [2].\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":3,\"total_tokens\":15}}");
        using var client = ChatEndpointClient.Create(Endpoint, new HttpClient(handler));

        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Hi")], cancellationToken: Ct);

        Assert.Equal("Done [2].", response.Text);
        Assert.Equal(15, response.Usage!.TotalTokenCount);
        Assert.Equal("r2", response.ResponseId);
    }

    [Fact]
    public async Task GetResponseAsync_Unauthorized_ThrowsNamingTheKeyVariable()
    {
        var handler = new ScriptedHandler(HttpStatusCode.Unauthorized, "application/json", "{\"error\":{\"message\":\"bad key\"}}");
        using var client = ChatEndpointClient.Create(Endpoint, new HttpClient(handler));

        var error = await Assert.ThrowsAsync<TenantRagException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "Hi")], cancellationToken: Ct));

        Assert.Contains("401", error.Message, StringComparison.Ordinal);
        Assert.Contains(ChatEndpointOptions.ApiKeyVariable, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-test", error.Message, StringComparison.Ordinal);
        Assert.False(error.IsTransient);
    }

    [Fact]
    public async Task GetResponseAsync_ServerError_IsTransient()
    {
        var handler = new ScriptedHandler(HttpStatusCode.ServiceUnavailable, "text/plain", "overloaded");
        using var client = ChatEndpointClient.Create(Endpoint, new HttpClient(handler));

        var error = await Assert.ThrowsAsync<TenantRagException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "Hi")], cancellationToken: Ct));

        Assert.True(error.IsTransient);
    }

    [Fact]
    public async Task GetResponseAsync_NoApiKey_SendsNoAuthorizationHeader()
    {
        var handler = new ScriptedHandler(HttpStatusCode.OK, "application/json",
            "{\"id\":\"r3\",\"model\":\"tiny\",\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"Hi.\"},\"finish_reason\":\"stop\"}]}");
        var endpoint = Endpoint;
        endpoint.ApiKey = null;
        using var client = ChatEndpointClient.Create(endpoint, new HttpClient(handler));

        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Hi")], cancellationToken: Ct);

        Assert.Equal("Hi.", response.Text);
        Assert.Null(handler.Request!.Headers.Authorization);
        Assert.False(handler.Request.Headers.Contains("Authorization"));
    }

    [Fact]
    public async Task GetStreamingResponseAsync_EndpointSilentPastTheTimeout_ThrowsTransientErrorNamingTheTimeout()
    {
        using var silent = new SilentHandler();
        var endpoint = Endpoint;
        endpoint.Timeout = TimeSpan.FromMilliseconds(300);
        using var client = ChatEndpointClient.Create(endpoint, new HttpClient(silent));

        var error = await Assert.ThrowsAsync<TenantRagException>(() => StreamAsync(client, "Hi", new StringBuilder()));

        Assert.Contains("did not answer within", error.Message, StringComparison.Ordinal);
        Assert.True(error.IsTransient);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_Unreachable_ThrowsTransientErrorNamingTheUrlVariable()
    {
        using var client = ChatEndpointClient.Create(Endpoint, new HttpClient(new RefusingHandler()));

        var error = await Assert.ThrowsAsync<TenantRagException>(() => StreamAsync(client, "Hi", new StringBuilder()));

        Assert.Contains("could not reach the chat endpoint http://127.0.0.1:11434/v1/chat/completions", error.Message, StringComparison.Ordinal);
        Assert.Contains(ChatEndpointOptions.UrlVariable, error.Message, StringComparison.Ordinal);
        Assert.True(error.IsTransient);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_NotFound_ThrowsNamingUrlAndModelVariablesAndTheBody()
    {
        var handler = new ScriptedHandler(HttpStatusCode.NotFound, "application/json", "{\"error\":{\"message\":\"model 'tiny' not found\"}}");
        using var client = ChatEndpointClient.Create(Endpoint, new HttpClient(handler));

        var error = await Assert.ThrowsAsync<TenantRagException>(() => StreamAsync(client, "a secret prompt", new StringBuilder()));

        Assert.Contains("answered 404", error.Message, StringComparison.Ordinal);
        Assert.Contains("model 'tiny' not found", error.Message, StringComparison.Ordinal);
        Assert.Contains(ChatEndpointOptions.ModelVariable, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("a secret prompt", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-test", error.Message, StringComparison.Ordinal);
        Assert.False(error.IsTransient);
    }

    [Fact]
    public async Task GetResponseAsync_CompletionsUrl_PostsToItOnce()
    {
        var handler = new ScriptedHandler(HttpStatusCode.OK, "application/json",
            "{\"id\":\"r4\",\"model\":\"tiny\",\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"Ok.\"},\"finish_reason\":\"stop\"}]}");
        var endpoint = new ChatEndpointOptions { Endpoint = new Uri("http://127.0.0.1:8080/v1/chat/completions/"), Model = "tiny" };
        using var client = ChatEndpointClient.Create(endpoint, new HttpClient(handler));

        await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Hi")], cancellationToken: Ct);

        Assert.Equal(new Uri("http://127.0.0.1:8080/v1/chat/completions"), handler.Request!.RequestUri);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_ErrorEventMidStream_ThrowsInsteadOfEndingTheAnswerEarly()
    {
        var handler = new ScriptedHandler(HttpStatusCode.OK, "text/event-stream",
            "data: {\"id\":\"r1\",\"choices\":[{\"delta\":{\"content\":\"Hello \"}}]}\n\n"
            + "data: {\"error\":{\"message\":\"the model crashed\"}}\n\n");
        using var client = ChatEndpointClient.Create(Endpoint, new HttpClient(handler));
        var text = new StringBuilder();

        var error = await Assert.ThrowsAsync<TenantRagException>(() => StreamAsync(client, "Hi", text));

        Assert.Equal("Hello ", text.ToString());
        Assert.Contains("reported an error while streaming", error.Message, StringComparison.Ordinal);
        Assert.Contains("the model crashed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetResponseAsync_NotJson_ThrowsNamingTheUrlVariable()
    {
        var handler = new ScriptedHandler(HttpStatusCode.OK, "text/html", "<html>a login page</html>");
        using var client = ChatEndpointClient.Create(Endpoint, new HttpClient(handler));

        var error = await Assert.ThrowsAsync<TenantRagException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "Hi")], cancellationToken: Ct));

        Assert.Contains("not an OpenAI chat completion", error.Message, StringComparison.Ordinal);
        Assert.Contains(ChatEndpointOptions.UrlVariable, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_WithoutAnHttpClient_StreamsFromALoopbackEndpointOverRealHttp()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var served = ServeOnceAsync(listener,
            "data: {\"id\":\"r5\",\"choices\":[{\"delta\":{\"content\":\"Over \"}}]}\n\n"
            + "data: {\"id\":\"r5\",\"choices\":[{\"delta\":{\"content\":\"loopback.\"},\"finish_reason\":\"stop\"}]}\n\n"
            + "data: [DONE]\n\n");
        var endpoint = new ChatEndpointOptions { Endpoint = new Uri($"http://127.0.0.1:{port}/v1"), Model = "tiny" };
        using var client = ChatEndpointClient.Create(endpoint);
        var text = new StringBuilder();

        await StreamAsync(client, "Hi", text);
        var request = await served;

        Assert.Equal("Over loopback.", text.ToString());
        Assert.StartsWith("POST /v1/chat/completions HTTP/1.1\r\n", request, StringComparison.Ordinal);
        Assert.DoesNotContain("authorization:", request, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Answers one HTTP request on <paramref name="listener"/> with <paramref name="events"/>; returns the request's head.</summary>
    private static async Task<string> ServeOnceAsync(TcpListener listener, string events)
    {
        using var connection = await listener.AcceptTcpClientAsync(Ct);
        var stream = connection.GetStream();
        var received = new StringBuilder();
        var buffer = new byte[8192];
        while (!received.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer, Ct);
            if (read == 0)
            {
                break;
            }

            received.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }

        var body = Encoding.UTF8.GetBytes(events);
        var head = $"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), Ct);
        await stream.WriteAsync(body, Ct);
        var text = received.ToString();
        return text[..text.IndexOf("\r\n\r\n", StringComparison.Ordinal)];
    }

    /// <summary>Streams the answer to <paramref name="prompt"/> into <paramref name="text"/>.</summary>
    private static async Task StreamAsync(IChatClient client, string prompt, StringBuilder text)
    {
        await foreach (var update in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, prompt)], cancellationToken: Ct))
        {
            text.Append(update.Text);
        }
    }

    private sealed class SilentHandler : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            throw new InvalidOperationException("unreachable");
        }
    }

    private sealed class RefusingHandler : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            throw new HttpRequestException("Connection refused (127.0.0.1:11434)");
    }

    private sealed class ScriptedHandler(HttpStatusCode status, string mediaType, string content) : HttpMessageHandler
    {
        public HttpRequestMessage? Request { get; private set; }

        public string? Body { get; private set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Request = request;
            Body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
            return new HttpResponseMessage(status) { Content = new StringContent(content, Encoding.UTF8, mediaType) };
        }
    }
}
