using System.Text;
using System.Text.Json;
using TenantRag.Server.Tests.Hostile;
using TenantRag.Testing;

namespace TenantRag.Server.Tests;

/// <summary>
/// Requests Kestrel refuses before any application code runs (a header block or request line over its limits) are
/// answered like every other error: <c>application/problem+json</c> with the status and a reason.
/// </summary>
public sealed class RequestRejectionTests(PostgresServer postgres) : IAsyncLifetime
{
    private TestServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await TestServer.StartAsync(postgres, "s_reject");

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData(40 * 1024)]
    [InlineData(1024 * 1024)]
    public async Task HeadersTooLarge_Returns431ProblemJson(int size)
    {
        var header = Encoding.ASCII.GetBytes("X-Padding: " + new string('a', size));

        var response = await RawHttp.GetAsync(_server.Client.BaseAddress!, "/v1/documents", header);

        AssertProblem(response, 431);
    }

    [Fact]
    public async Task ManyHeadersOverTheCount_Returns431ProblemJson()
    {
        var headers = Enumerable.Range(0, 120).Select(i => Encoding.ASCII.GetBytes($"X-H{i}: {i}")).ToArray();

        var response = await RawHttp.GetAsync(_server.Client.BaseAddress!, "/healthz", headers);

        AssertProblem(response, 431);
    }

    [Fact]
    public async Task RequestLineTooLong_Returns414ProblemJson()
    {
        var response = await RawHttp.GetAsync(_server.Client.BaseAddress!, "/v1/documents?q=" + new string('a', 10 * 1024));

        AssertProblem(response, 414);
    }

    [Fact]
    public async Task HeadersJustBelowTheLimit_ReachTheApplication()
    {
        var header = Encoding.ASCII.GetBytes("X-Padding: " + new string('a', 30 * 1024));

        var response = await RawHttp.GetAsync(_server.Client.BaseAddress!, "/healthz", header);

        Assert.Equal(200, response.Status);
        Assert.Contains("\"ok\"", response.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApplicationResponses_OnOneKeepAliveConnection_ArriveIntact()
    {
        // The refusals are found by looking at the start of every response on the connection: the application's own
        // 400s (chunked problem documents), large pages and small JSON, one after another, must pass unchanged.
        var ct = TestContext.Current.CancellationToken;
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 1 };
        using var client = new HttpClient(handler) { BaseAddress = _server.Client.BaseAddress };
        var page = await client.GetStringAsync("/", ct);

        for (var i = 0; i < 5; i++)
        {
            var bad = await client.PostAsync("/auth/dev-token", new StringContent("{\"tenant\":", Encoding.UTF8, "application/json"), ct);
            var badBody = await bad.Content.ReadAsStringAsync(ct);
            var health = await client.GetStringAsync("/healthz", ct);
            var again = await client.GetStringAsync("/", ct);

            Assert.Equal(400, (int)bad.StatusCode);
            Assert.Equal(400, JsonDocument.Parse(badBody).RootElement.GetProperty("status").GetInt32());
            Assert.Contains("\"ok\"", health, StringComparison.Ordinal);
            Assert.Equal(page, again);
        }
    }

    private static void AssertProblem(RawHttp.Response response, int status)
    {
        Assert.True(response.Status == status, $"expected {status}, got {response.Status}: {response.Body}");
        Assert.Equal("application/problem+json", response.ContentType);
        var problem = JsonDocument.Parse(response.Body).RootElement;
        Assert.Equal(status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("title").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
    }
}
