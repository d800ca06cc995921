using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TenantRag.Testing;

namespace TenantRag.Server.Tests;

/// <summary>
/// The OpenAPI document a client generator or a reader gets from the running server: a summary for every operation, a
/// bearer JWT scheme required by every <c>/v1</c> and <c>/admin</c> operation, and the problem responses each can give.
/// The interactive reference at <c>/scalar</c> exists only in the Development environment.
/// </summary>
public sealed class OpenApiDocumentTests(PostgresServer postgres)
{
    private const string ProblemRef = "#/components/schemas/ProblemDetails";

    private static readonly string[] Methods = ["get", "put", "post", "delete", "patch"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Document_EveryOperationHasASummary_AndV1AndAdminOperationsRequireTheBearerScheme()
    {
        await using var server = await TestServer.StartAsync(postgres, "s_openapi");

        var document = await DocumentAsync(server);

        var operations = Operations(document).ToList();
        Assert.Contains(operations, o => o.Path == "/v1/documents" && o.Method == "post");
        Assert.Contains(operations, o => o.Path.StartsWith("/admin/", StringComparison.Ordinal));
        Assert.Empty(operations.Where(o => !o.Operation.TryGetProperty("summary", out var summary) || string.IsNullOrWhiteSpace(summary.GetString()))
            .Select(o => $"{o.Method} {o.Path}"));
        var bearer = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("bearer");
        Assert.Equal(("http", "bearer", "JWT"), (bearer.GetProperty("type").GetString(), bearer.GetProperty("scheme").GetString(), bearer.GetProperty("bearerFormat").GetString()));
        foreach (var (path, method, operation) in operations)
        {
            var secured = path.StartsWith("/v1/", StringComparison.Ordinal) || path.StartsWith("/admin/", StringComparison.Ordinal);
            Assert.True(secured == RequiresBearer(operation), $"{method} {path} should{(secured ? string.Empty : " not")} require the bearer scheme");
        }
    }

    [Fact]
    public async Task Document_OperationsDeclareTheProblemResponsesTheyCanGive()
    {
        await using var server = await TestServer.StartAsync(postgres, "s_openapi");

        var document = await DocumentAsync(server);

        Assert.True(document.GetProperty("components").GetProperty("schemas").TryGetProperty("ProblemDetails", out _));
        Assert.Equal([400, 401, 403, 413, 429, 503], Problems(document, "/v1/documents", "post").Intersect([400, 401, 403, 404, 413, 429, 503]));
        Assert.Equal([401, 403, 404, 429, 503], Problems(document, "/v1/documents/{id}", "get"));
        Assert.Equal([400, 401, 403, 413, 429, 503], Problems(document, "/v1/search", "post"));
        Assert.Equal([400, 401, 403, 404, 503], Problems(document, "/admin/v1/tenants/{slug}", "delete"));
        Assert.Empty(Problems(document, "/healthz/live", "get"));
        Assert.Equal([503], Problems(document, "/healthz/ready", "get"));
    }

    [Theory]
    [InlineData("Development", HttpStatusCode.OK)]
    [InlineData("Production", HttpStatusCode.NotFound)]
    [InlineData("Testing", HttpStatusCode.NotFound)]
    public async Task Scalar_AnswersOnlyInDevelopment(string environment, HttpStatusCode expected)
    {
        await using var server = await TestServer.StartAsync(postgres, "s_openapi", environment: environment);

        var page = await server.GetAsync("/scalar", null);
        var script = await server.GetAsync("/scalar/scalar.js", null);

        Assert.Equal(expected, page.StatusCode);
        Assert.Equal(expected, script.StatusCode);
        if (expected == HttpStatusCode.OK)
        {
            var html = await page.Content.ReadAsStringAsync(Ct);
            Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
            Assert.Contains("\"url\":\"openapi/v1.json\"", html, StringComparison.Ordinal);
            Assert.DoesNotContain("fonts.scalar.com", html, StringComparison.Ordinal);
        }
    }

    private static async Task<JsonElement> DocumentAsync(TestServer server)
    {
        var response = await server.GetAsync("/openapi/v1.json", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
    }

    private static IEnumerable<(string Path, string Method, JsonElement Operation)> Operations(JsonElement document)
    {
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            foreach (var method in Methods)
            {
                if (path.Value.TryGetProperty(method, out var operation))
                {
                    yield return (path.Name, method, operation);
                }
            }
        }
    }

    private static bool RequiresBearer(JsonElement operation) =>
        operation.TryGetProperty("security", out var security)
        && security.EnumerateArray().Any(requirement => requirement.TryGetProperty("bearer", out var scopes) && scopes.GetArrayLength() == 0);

    /// <summary>The statuses the operation declares as <c>application/problem+json</c> with the ProblemDetails schema, in order.</summary>
    private static int[] Problems(JsonElement document, string path, string method)
    {
        var responses = document.GetProperty("paths").GetProperty(path).GetProperty(method).GetProperty("responses");
        return [.. responses.EnumerateObject()
            .Where(r => r.Value.TryGetProperty("content", out var content)
                && content.TryGetProperty("application/problem+json", out var problem)
                && problem.GetProperty("schema").TryGetProperty("$ref", out var reference)
                && reference.GetString() == ProblemRef)
            .Select(r => int.Parse(r.Name, System.Globalization.CultureInfo.InvariantCulture))
            .Order()];
    }
}
