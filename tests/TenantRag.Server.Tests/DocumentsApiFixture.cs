using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TenantRag.Documents;
using TenantRag.Postgres.Documents;
using TenantRag.Server.Auth;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Server.Tests;

/// <summary>One server (with the real bundled model) for the tests of listing, reading and filtering documents.</summary>
public sealed class DocumentsApiFixture(PostgresServer postgres) : IAsyncLifetime
{
    private DevelopmentTokenIssuer? _issuer;

    internal TestServer Server { get; private set; } = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        Server = await TestServer.StartAsync(postgres, "s_docs", new Dictionary<string, string?>
        {
            ["Limits:RequestsPerSecond"] = "100000",
            ["Limits:Burst"] = "100000",
        });
        _issuer = DevelopmentTokenIssuer.LoadOrCreate(Server.Home);
    }

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();

    /// <summary>A new tenant.</summary>
    public async Task<TenantSlug> TenantAsync(string stem, TenancyMode mode) =>
        (await Server.Database.Catalog.CreateAsync(Slugs.Unique(stem), mode, Ct)).Slug;

    /// <summary>A development token of <paramref name="user"/> in <paramref name="tenant"/>.</summary>
    public string Token(TenantSlug tenant, string user) => _issuer!.Issue(tenant, UserId.Parse(user), TimeSpan.FromMinutes(30), []);

    /// <summary>A one-chunk document written straight through a tenant session (no model): fast, for many documents.</summary>
    public async Task<Guid> AddAsync(TenantSlug tenant, string user, string title, DocumentVisibility visibility = DocumentVisibility.Tenant)
    {
        await using var session = await Server.Database.Sessions.OpenSessionAsync(TenantContext.For(tenant, UserId.Parse(user)), Ct);
        var id = await DocumentStore.AddTextAsync(session, title, title + " is a document of " + user + ".", visibility, Ct);
        await session.CommitAsync(Ct);
        return id;
    }

    /// <summary>Drops a document's kept text, as the superuser: what a document stored before migration 007 looks like.</summary>
    public async Task ForgetTextAsync(TenantSlug tenant, Guid id)
    {
        var database = (await Server.Database.Catalog.FindAsync(tenant, Ct))!.Database;
        Assert.Equal(1, await postgres.ExecuteAsync(database, "UPDATE documents SET extracted_text = NULL WHERE id = $1", id));
    }

    /// <summary><c>GET /v1/documents</c> with a raw query string (without '?').</summary>
    public Task<HttpResponseMessage> ListAsync(string token, string query = "") =>
        Server.GetAsync(query.Length == 0 ? "/v1/documents" : "/v1/documents?" + query, token);

    /// <summary>One page: its documents and its <c>next</c> cursor (asserting 200).</summary>
    public async Task<(JsonElement[] Documents, string? Next)> PageAsync(string token, string query = "")
    {
        var response = await ListAsync(token, query);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET /v1/documents?{query}: {(int)response.StatusCode} {body}");
        var json = JsonDocument.Parse(body).RootElement;
        var next = json.GetProperty("next");
        return ([.. json.GetProperty("documents").EnumerateArray()], next.ValueKind == JsonValueKind.Null ? null : next.GetString());
    }

    /// <summary>
    /// Every page, following <c>next</c> from <paramref name="cursor"/> (the first page when null), with
    /// <paramref name="query"/> on each request. <paramref name="meanwhile"/>, when given, runs while each page is read
    /// (and is awaited before the next).
    /// </summary>
    public async Task<List<JsonElement>> WalkAsync(string token, string query, string? cursor = null, Func<Task>? meanwhile = null)
    {
        var all = new List<JsonElement>();
        do
        {
            var writes = meanwhile?.Invoke() ?? Task.CompletedTask;
            var (documents, next) = await PageAsync(token, Join(query, cursor is null ? null : "cursor=" + Uri.EscapeDataString(cursor)));
            await writes;
            all.AddRange(documents);
            cursor = next;
        }
        while (cursor is not null);
        return all;
    }

    /// <summary>Sends a JSON document (<c>{title, text, visibility}</c>).</summary>
    public async Task<HttpResponseMessage> PostTextAsync(string token, string title, string text, string visibility = "tenant")
    {
        var request = Server.Request(HttpMethod.Post, "/v1/documents", token);
        request.Content = JsonContent.Create(new { title, text, visibility });
        return await Server.Client.SendAsync(request, Ct);
    }

    /// <summary>Sends a file as multipart.</summary>
    public Task<HttpResponseMessage> PostFileAsync(string token, string fileName, byte[] content) => Uploads.PostFileAsync(Server, token, fileName, content);

    /// <summary>The ids a successful upload stored.</summary>
    public static async Task<Guid[]> IdsAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, $"upload: {(int)response.StatusCode} {body}");
        return [.. JsonDocument.Parse(body).RootElement.GetProperty("documentIds").EnumerateArray().Select(e => e.GetGuid())];
    }

    public static Guid Id(JsonElement document) => document.GetProperty("id").GetGuid();

    public static string Join(params string?[] parts) => string.Join('&', parts.Where(p => !string.IsNullOrEmpty(p)));
}
