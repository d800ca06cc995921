using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Npgsql;
using TenantRag.Server.Auth;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Server.Tests.Hostile;

/// <summary>
/// One server and one set of tenants for every hostile-input case: the caller's tenant (shared, where alice sends
/// the hostile input and bob keeps a private document), <see cref="HostileStrings.OtherTenant"/> (shared, in the same
/// database as the caller) and a dedicated bystander, each holding real ingested documents.
/// </summary>
public sealed class HostileInputFixture(PostgresServer postgres) : IAsyncLifetime
{
    public const string Prefix = "s_hostile";

    /// <summary>A file alice uploaded during set-up (multipart, tenant-wide), re-sent unchanged by the tests.</summary>
    public const string ExtraFileName = "extra.txt";

    /// <summary>The content of <see cref="ExtraFileName"/>.</summary>
    public const string ExtraFileText = "Extra\n\nThe cafeteria opens at eight.";

    /// <summary>Words in every document of the other tenants (and nowhere in the caller's): finding them is a leak.</summary>
    public const string ForeignMarker = "zanzibar";

    private NpgsqlDataSource? _shared;

    internal TestServer Server { get; private set; } = null!;

    internal DevelopmentTokenIssuer Issuer { get; private set; } = null!;

    public TenantSlug Caller { get; } = Slugs.Unique("caller");

    /// <summary>The id of the caller's tenant: what its rows carry in tenant_id.</summary>
    public string CallerId { get; private set; } = string.Empty;

    public TenantSlug Other { get; } = TenantSlug.Parse(HostileStrings.OtherTenant);

    public TenantSlug Bystander { get; } = Slugs.Unique("bystander");

    /// <summary>alice of the caller's tenant, no scopes.</summary>
    public string Alice { get; private set; } = null!;

    /// <summary>An admin (scope <c>tenantrag:admin</c>) of the caller's tenant.</summary>
    public string Admin { get; private set; } = null!;

    /// <summary>The other tenant's document (tenant-wide).</summary>
    public Guid OtherDocument { get; private set; }


    public async ValueTask InitializeAsync()
    {
        // Generous limits: hundreds of cases run back to back from one tenant.
        Server = await TestServer.StartAsync(postgres, Prefix, new Dictionary<string, string?>
        {
            ["Limits:RequestsPerSecond"] = "100000",
            ["Limits:Burst"] = "100000",
        });

        // Pooled (unlike PostgresServer's helpers): hundreds of cases look documents up.
        _shared = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(postgres.SuperuserConnectionString(Server.Database.Installation.Names.Shared)) { Pooling = true }.ConnectionString);
        var ct = TestContext.Current.CancellationToken;
        Issuer = DevelopmentTokenIssuer.LoadOrCreate(Server.Home);
        CallerId = (await Server.Database.Catalog.CreateAsync(Caller, TenancyMode.Shared, ct)).Id;
        await Server.Database.Catalog.CreateAsync(Other, TenancyMode.Shared, ct);
        await Server.Database.Catalog.CreateAsync(Bystander, TenancyMode.Dedicated, ct);
        Alice = Token(Caller, "alice");
        Admin = Token(Caller, "root", AuthenticationSetup.AdminScope);

        await SeedAsync(Alice, "Vacation policy", "Employees get 30 days of paid vacation per year.", "tenant");
        var extra = Server.Request(HttpMethod.Post, "/v1/documents", Alice);
        extra.Content = new MultipartFormDataContent { { new StringContent(ExtraFileText), "file", ExtraFileName } };
        Assert.Equal(HttpStatusCode.Created, (await Server.Client.SendAsync(extra, ct)).StatusCode);
        await SeedAsync(Token(Caller, "bob"), "Bob's salary", "Bob earns 91,000 euros a year.", "private");
        var other = await SeedAsync(Token(Other, "eve"), "Other payroll", $"The {ForeignMarker} payroll of {Other}: 12 days of vacation; password hunter2.", "tenant");
        await SeedAsync(Token(Bystander, "dan"), "Bystander notes", $"The {ForeignMarker} bystander keeps its vacation rules here.", "tenant");
        OtherDocument = other;
    }

    public async ValueTask DisposeAsync()
    {
        if (_shared is not null)
        {
            await _shared.DisposeAsync();
        }

        await Server.DisposeAsync();
    }

    /// <summary>A development token for <paramref name="user"/> of <paramref name="tenant"/>.</summary>
    public string Token(TenantSlug tenant, string user, params string[] scopes) =>
        Issuer.Issue(tenant, UserId.Parse(user), TimeSpan.FromMinutes(30), scopes);

    /// <summary>
    /// A correctly signed development token (issuer, audience, lifetime all valid) with exactly these claims, however
    /// hostile: a string[] value is a claim given several times.
    /// </summary>
    public string SignedToken(params (string Type, object Value)[] claims)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        (string, object)[] standard = [("iss", DevelopmentTokenIssuer.DefaultIssuer), ("aud", DevelopmentTokenIssuer.DefaultAudience), ("iat", now), ("nbf", now), ("exp", now + 1800)];
        return Issuer.SignPayload(HostileEncoding.JsonObject([.. standard, .. claims]));
    }

    /// <summary>The body of <c>GET /v1/documents</c> for <paramref name="token"/>, as it is now.</summary>
    public async Task<string> ListAsync(string token) =>
        await (await Server.GetAsync("/v1/documents", token)).Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

    /// <summary>Every tenant's rows in this installation, as the superuser sees them.</summary>
    public Task<TenantRowsSnapshot> SnapshotAsync() => TenantRowsSnapshot.TakeAsync(postgres, Prefix);

    /// <summary>The superuser's view of one document row (tenant, owner, title, source), or null.</summary>
    public async Task<(string Tenant, string Owner, string Title, string? Source)?> DocumentRowAsync(Guid id)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cmd = _shared!.CreateCommand("SELECT tenant_id, owner_id, title, source FROM documents WHERE id = $1");
        cmd.Parameters.Add(new NpgsqlParameter { Value = id });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? (reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3)) : null;
    }

    /// <summary>Sends <paramref name="body"/> (already encoded) as <paramref name="contentType"/>.</summary>
    internal Task<HttpResponseMessage> PostAsync(string path, string? token, byte[] body, string? contentType)
    {
        var request = Server.Request(HttpMethod.Post, path, token);
        request.Content = new ByteArrayContent(body);
        if (contentType is not null)
        {
            request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        return SendRefusableAsync(request);
    }

    /// <summary>Sends a JSON body written by <see cref="HostileEncoding.JsonObject"/>.</summary>
    internal Task<HttpResponseMessage> PostJsonAsync(string path, string? token, params (string Name, object Value)[] fields) =>
        PostAsync(path, token, Encoding.ASCII.GetBytes(HostileEncoding.JsonObject(fields)), "application/json");

    internal Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? token) =>
        SendRefusableAsync(Server.Request(method, path, token));

    // Kestrel answers a request line or header block over its limits (414, 431) and closes the connection at once, while
    // the client may still be writing a megabyte of it: the client then sees a broken pipe or a reset instead of the
    // answer. Either way the server refused the request before any application code ran; it stands for that answer
    // (with an empty body: the problem document it carries cannot be read).
    private async Task<HttpResponseMessage> SendRefusableAsync(HttpRequestMessage request)
    {
        const int KestrelMaxRequestLine = 8 * 1024;
        const int KestrelMaxHeaders = 32 * 1024;
        var requestLine = request.RequestUri!.OriginalString.Length;
        var headers = request.Headers.Sum(h => h.Key.Length + h.Value.Sum(v => v.Length));
        try
        {
            return await Server.Client.SendAsync(request, TestContext.Current.CancellationToken);
        }
        catch (HttpRequestException ex) when (ex.InnerException is IOException && (requestLine > KestrelMaxRequestLine || headers > KestrelMaxHeaders))
        {
            return new HttpResponseMessage(requestLine > KestrelMaxRequestLine ? HttpStatusCode.RequestUriTooLong : HttpStatusCode.RequestHeaderFieldsTooLarge)
            {
                Content = new ByteArrayContent([]),
            };
        }
    }

    private async Task<Guid> SeedAsync(string token, string title, string text, string visibility)
    {
        var ct = TestContext.Current.CancellationToken;
        var response = await PostJsonAsync("/v1/documents", token, ("title", title), ("text", text), ("visibility", visibility));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var request = Server.Request(HttpMethod.Get, "/v1/documents", token);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        var list = (await (await Server.Client.SendAsync(request, ct)).Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("documents").EnumerateArray();
        return list.Single(d => d.GetProperty("title").GetString() == title).GetProperty("id").GetGuid();
    }
}
