using System.Net;
using System.Text;
using Microsoft.IdentityModel.Tokens;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Server.Tests;

/// <summary>Bearer tokens over real HTTP against an external JWKS: only correctly signed, current tokens for this API pass.</summary>
public sealed class JwtValidationTests(PostgresServer postgres) : IAsyncLifetime
{
    private JwksServer _idp = null!;
    private TestServer _server = null!;
    private string _tenant = null!;

    public async ValueTask InitializeAsync()
    {
        _idp = await JwksServer.StartAsync();
        _server = await TestServer.StartAsync(postgres, "s_jwt", new Dictionary<string, string?>
        {
            ["Auth:JwksUrl"] = _idp.JwksUrl,
            ["Auth:Issuer"] = JwksServer.Issuer,
            ["Auth:Audience"] = JwksServer.Audience,
            ["Auth:RequireHttpsMetadata"] = "false",
            ["Auth:KeyRefreshMinSeconds"] = "0",
        });
        _tenant = (await _server.Database.Catalog.CreateAsync(Slugs.Unique("jwt"), TenancyMode.Shared, TestContext.Current.CancellationToken)).Slug.Value;
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        await _idp.DisposeAsync();
    }

    [Fact]
    public async Task Get_ValidToken_Returns200()
    {
        var response = await _server.GetAsync("/v1/documents", _idp.Token(_tenant, "alice"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Get_NoToken_Returns401()
    {
        var response = await _server.GetAsync("/v1/documents", null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Get_ExpiredBeyondSkew_Returns401()
    {
        var response = await _server.GetAsync("/v1/documents", _idp.Token(_tenant, "alice", expires: DateTime.UtcNow.AddSeconds(-90)));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Get_WrongIssuer_Returns401()
    {
        var response = await _server.GetAsync("/v1/documents", _idp.Token(_tenant, "alice", issuer: "https://evil.test"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Get_WrongAudience_Returns401()
    {
        var response = await _server.GetAsync("/v1/documents", _idp.Token(_tenant, "alice", audience: "another-api"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Get_SignedByUnpublishedKeyWithKnownKid_Returns401()
    {
        var impostor = JwksServer.NewKey();
        impostor.KeyId = _idp.CurrentKey.KeyId;

        var response = await _server.GetAsync("/v1/documents", _idp.Token(_tenant, "alice", signingKey: impostor));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Get_UnknownKid_Returns401()
    {
        var response = await _server.GetAsync("/v1/documents", _idp.Token(_tenant, "alice", signingKey: JwksServer.NewKey()));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Get_AlgNone_Returns401()
    {
        var valid = _idp.Token(_tenant, "alice");
        var payload = valid.Split('.')[1];
        var header = Base64UrlEncoder.Encode("""{"alg":"none","typ":"JWT"}""");

        var response = await _server.GetAsync("/v1/documents", $"{header}.{payload}.");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Get_HmacSignedWithThePublicKey_Returns401()
    {
        // The classic confusion attack: use the published RSA key as an HMAC secret.
        var publicKeyBytes = Encoding.UTF8.GetBytes(_idp.CurrentKey.Rsa.ExportSubjectPublicKeyInfoPem());
        var hmacKey = new SymmetricSecurityKey(publicKeyBytes) { KeyId = _idp.CurrentKey.KeyId };

        var response = await _server.GetAsync("/v1/documents", _idp.Token(_tenant, "alice", signingKey: hmacKey, algorithm: SecurityAlgorithms.HmacSha256));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Get_AfterKeyRotation_RefreshesJwksOnceAndAccepts()
    {
        var before = await _server.GetAsync("/v1/documents", _idp.Token(_tenant, "alice"));
        var fetchesBefore = _idp.Fetches;
        _idp.Rotate();

        var first = await _server.GetAsync("/v1/documents", _idp.Token(_tenant, "alice"));
        var second = await _server.GetAsync("/v1/documents", _idp.Token(_tenant, "bob"));

        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(fetchesBefore + 1, _idp.Fetches);
    }

    [Fact]
    public async Task Get_TamperedPayload_Returns401()
    {
        var parts = _idp.Token(_tenant, "alice").Split('.');
        var forged = Base64UrlEncoder.Encode($$"""{"sub":"alice","tenant_id":"{{Slugs.UniqueText("other")}}","iss":"{{JwksServer.Issuer}}","aud":"{{JwksServer.Audience}}","exp":{{DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds()}}}""");

        var response = await _server.GetAsync("/v1/documents", $"{parts[0]}.{forged}.{parts[2]}");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Get_DevelopmentIssuerEndpoints_AreOffWithExternalAuthority()
    {
        var jwks = await _server.GetAsync("/.well-known/jwks.json", null);
        var devToken = await _server.Client.PostAsync("/auth/dev-token", new StringContent("""{"tenant":"acme","user":"alice"}""", Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, jwks.StatusCode);
        Assert.True(devToken.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed, devToken.StatusCode.ToString());
    }
}
