using System.Net.Http.Json;
using System.Text.Json;
using TenantRag.Server.Auth;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Server.Tests;

/// <summary><c>POST /v1/documents</c> and <c>GET /v1/documents</c> as a client sends them, for the upload tests.</summary>
internal static class Uploads
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A new tenant of <paramref name="server"/> and a token of one of its users.</summary>
    public static async Task<(TenantInfo Tenant, string Token)> TenantAsync(TestServer server, string prefix, TenancyMode mode = TenancyMode.Shared)
    {
        var tenant = await server.Database.Catalog.CreateAsync(Slugs.Unique(prefix), mode, Ct);
        return (tenant, DevelopmentTokenIssuer.LoadOrCreate(server.Home).Issue(tenant.Slug, UserId.Parse("alice"), TimeSpan.FromMinutes(30), []));
    }

    /// <summary>Sends <paramref name="content"/> as the multipart <c>file</c> part named <paramref name="fileName"/>.</summary>
    public static Task<HttpResponseMessage> PostFileAsync(TestServer server, string token, string fileName, byte[] content) =>
        SendFileAsync(server, token, fileName, content, Ct);

    /// <summary>As <see cref="PostFileAsync"/>, given up (the client going away) when <paramref name="cancellationToken"/> is cancelled.</summary>
    public static Task<HttpResponseMessage> SendFileAsync(TestServer server, string token, string fileName, byte[] content, CancellationToken cancellationToken)
    {
        var request = server.Request(HttpMethod.Post, "/v1/documents", token);
        request.Content = new MultipartFormDataContent { { new ByteArrayContent(content), "file", fileName } };
        return server.Client.SendAsync(request, cancellationToken);
    }

    /// <summary>Sends a JSON document.</summary>
    public static Task<HttpResponseMessage> PostTextAsync(TestServer server, string token, string title, string text)
    {
        var request = server.Request(HttpMethod.Post, "/v1/documents", token);
        request.Content = JsonContent.Create(new { title, text });
        return server.Client.SendAsync(request, Ct);
    }

    /// <summary>The titles the caller sees in <c>GET /v1/documents</c> (one page of the largest size: the tests hold fewer).</summary>
    public static async Task<string[]> TitlesAsync(TestServer server, string token)
    {
        var response = await server.GetAsync("/v1/documents?limit=200", token);
        response.EnsureSuccessStatusCode();
        var page = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(JsonValueKind.Null, page.GetProperty("next").ValueKind);
        return [.. page.GetProperty("documents").EnumerateArray().Select(d => d.GetProperty("title").GetString()!).Order(StringComparer.Ordinal)];
    }

    /// <summary>The problem document of a refused upload (asserting its content type).</summary>
    public static async Task<JsonElement> ProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
    }
}
