using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;
using TenantRag.Server.Auth;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Server.Tests;

/// <summary>
/// Correctly signed tokens (the development issuer's own key) whose JSON is ambiguous or out of bounds: a key given
/// twice (which parsers resolve differently), a critical header extension nobody here understands, a lifetime that is
/// not a number, or longer than the configured maximum. Each is refused with 401 before any claim is used.
/// </summary>
public sealed class JwtStrictnessTests(PostgresServer postgres) : IAsyncLifetime
{
    private TestServer _server = null!;
    private string _caller = null!;
    private string _other = null!;
    private (string KeyId, RSA Key) _signing;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public async ValueTask InitializeAsync()
    {
        _server = await TestServer.StartAsync(postgres, "s_strict");
        _caller = (await _server.Database.Catalog.CreateAsync(Slugs.Unique("caller"), TenancyMode.Shared, Ct)).Slug.Value;
        _other = (await _server.Database.Catalog.CreateAsync(Slugs.Unique("other"), TenancyMode.Shared, Ct)).Slug.Value;
        _signing = DevelopmentKey(_server.Home.Root);
    }

    public async ValueTask DisposeAsync()
    {
        _signing.Key.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task RawlySignedToken_Unambiguous_Returns200()
    {
        // The control: the same helper, well-formed JSON.
        var response = await GetAsync(Header(), Payload());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("tenant_id", "\"tenant_id\":\"{other}\",\"tenant_id\":\"{caller}\"")]
    [InlineData("escaped tenant_id", "\"tenant_id\":\"{other}\",\"tenant\\u005fid\":\"{caller}\"")]
    [InlineData("sub", "\"sub\":\"bob\",\"sub\":\"alice\"")]
    [InlineData("exp", "\"exp\":{past},\"exp\":{future}")]
    [InlineData("aud", "\"aud\":\"another-api\",\"aud\":\"tenantrag\"")]
    [InlineData("nested", "\"cnf\":{\"jkt\":\"a\",\"jkt\":\"b\"}")]
    public async Task Payload_DuplicateKey_Returns401(string name, string duplicate)
    {
        _ = name;

        var response = await GetAsync(Header(), Payload(duplicate));

        await AssertUnauthorizedAsync(response);
    }

    [Theory]
    [InlineData("\"kid\":\"{kid}\",\"kid\":\"{kid}\"")]
    [InlineData("\"alg\":\"none\",\"alg\":\"RS256\"")]
    [InlineData("\"typ\":\"JWT\",\"typ\":\"JWT\"")]
    public async Task Header_DuplicateKey_Returns401(string duplicate)
    {
        var response = await GetAsync(Header(duplicate), Payload());

        await AssertUnauthorizedAsync(response);
    }

    [Theory]
    [InlineData("\"crit\":[\"urn:example:must-check\"],\"urn:example:must-check\":true")]
    [InlineData("\"crit\":[\"exp\"]")]
    [InlineData("\"crit\":[]")]
    [InlineData("\"crit\":\"b64\",\"b64\":false")]
    public async Task Header_CriticalExtension_Returns401(string crit)
    {
        // RFC 7515 4.1.11: a recipient that does not understand a critical extension must refuse the token.
        var response = await GetAsync(Header(crit), Payload());

        await AssertUnauthorizedAsync(response);
    }

    [Theory]
    [InlineData("exp", "\"{future}\"")]
    [InlineData("exp", "\"soon\"")]
    [InlineData("exp", "[{future}]")]
    [InlineData("exp", "true")]
    [InlineData("exp", "null")]
    [InlineData("nbf", "\"{past}\"")]
    [InlineData("iat", "\"{past}\"")]
    [InlineData("iat", "{\"t\":1}")]
    public async Task Payload_NonNumericTime_Returns401(string claim, string value)
    {
        var response = await GetAsync(Header(), Payload(overrides: (claim, value)));

        await AssertUnauthorizedAsync(response);
    }

    [Fact]
    public async Task Payload_LifetimeAboveTheDevelopmentMaximum_Returns401()
    {
        // The development issuer's own ceiling is 30 days (tenantrag token --ttl 30d): 31 is one too many.
        var response = await GetAsync(Header(), Payload(overrides: ("exp", (Now + (long)TimeSpan.FromDays(31).TotalSeconds).ToString(CultureInfo.InvariantCulture))));
        var thirtyDays = DevelopmentTokenIssuer.LoadOrCreate(_server.Home).Issue(TenantSlug.Parse(_caller), UserId.Parse("alice"), TimeSpan.FromDays(30), []);
        var longest = await _server.GetAsync("/v1/documents", thirtyDays);

        await AssertUnauthorizedAsync(response);
        Assert.Equal(HttpStatusCode.OK, longest.StatusCode);
    }

    [Fact]
    public async Task Payload_IssuedLongAgoButNotExpired_Returns401()
    {
        // 40 days between iat and exp, though only an hour is left: the lifetime is what the issuer granted.
        var response = await GetAsync(Header(), Payload(overrides:
            [("iat", (Now - (long)TimeSpan.FromDays(40).TotalSeconds).ToString(CultureInfo.InvariantCulture)), ("nbf", Now.ToString(CultureInfo.InvariantCulture))]));

        await AssertUnauthorizedAsync(response);
    }

    [Fact]
    public async Task ConfiguredMaximum_RefusesLongerLifetimes_AndTheDevTokenStaysWithinIt()
    {
        await using var strict = await TestServer.StartAsync(postgres, "s_strict", new Dictionary<string, string?> { ["Auth:MaxTokenLifetimeMinutes"] = "60" });
        var issuer = DevelopmentTokenIssuer.LoadOrCreate(strict.Home);
        var slug = TenantSlug.Parse(_caller);

        var twoHours = await strict.GetAsync("/v1/documents", issuer.Issue(slug, UserId.Parse("alice"), TimeSpan.FromHours(2), []));
        var halfAnHour = await strict.GetAsync("/v1/documents", issuer.Issue(slug, UserId.Parse("alice"), TimeSpan.FromMinutes(30), []));
        var signIn = await strict.Client.PostAsync("/auth/dev-token",
            new StringContent($$"""{"tenant":"{{_caller}}","user":"alice"}""", Encoding.UTF8, "application/json"), Ct);
        var devToken = JsonDocument.Parse(await signIn.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("token").GetString()!;
        var devTokenUse = await strict.GetAsync("/v1/documents", devToken);
        var payload = JsonDocument.Parse(Base64UrlEncoder.Decode(devToken.Split('.')[1])).RootElement;

        await AssertUnauthorizedAsync(twoHours);
        Assert.Equal(HttpStatusCode.OK, halfAnHour.StatusCode);
        Assert.Equal(HttpStatusCode.OK, devTokenUse.StatusCode);
        Assert.InRange(payload.GetProperty("exp").GetInt64() - payload.GetProperty("iat").GetInt64(), 1, 3600);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("43201")]
    public async Task ConfiguredMaximum_OutOfRange_IsAUsageErrorNamingTheKey(string minutes)
    {
        var ex = await Assert.ThrowsAsync<UsageException>(() => TestServer.StartAsync(postgres, "s_strict",
            new Dictionary<string, string?> { ["Auth:MaxTokenLifetimeMinutes"] = minutes }));

        Assert.Contains("Auth:MaxTokenLifetimeMinutes", ex.Message, StringComparison.Ordinal);
    }

    private Task<HttpResponseMessage> GetAsync(string header, string payload) => _server.GetAsync("/v1/documents", Sign(header, payload));

    /// <summary>An RS256 header naming the development key; <paramref name="extra"/> is added, and replaces alg or kid when it names them.</summary>
    private string Header(string? extra = null)
    {
        var fields = new List<string>();
        if (extra?.Contains("\"alg\"", StringComparison.Ordinal) != true)
        {
            fields.Add("\"alg\":\"RS256\"");
        }

        if (extra?.Contains("\"kid\"", StringComparison.Ordinal) != true)
        {
            fields.Add($"\"kid\":\"{_signing.KeyId}\"");
        }

        fields.Add(extra?.Replace("{kid}", _signing.KeyId, StringComparison.Ordinal) ?? "\"typ\":\"JWT\"");
        return "{" + string.Join(",", fields) + "}";
    }

    /// <summary>A valid payload for alice of the caller's tenant; <paramref name="extra"/> is appended, <paramref name="overrides"/> replace values.</summary>
    private string Payload(string? extra = null, params (string Claim, string Json)[] overrides)
    {
        var now = Now;
        var fields = new Dictionary<string, string>
        {
            ["iss"] = $"\"{DevelopmentTokenIssuer.DefaultIssuer}\"",
            ["aud"] = $"\"{DevelopmentTokenIssuer.DefaultAudience}\"",
            ["iat"] = now.ToString(CultureInfo.InvariantCulture),
            ["nbf"] = now.ToString(CultureInfo.InvariantCulture),
            ["exp"] = (now + 1800).ToString(CultureInfo.InvariantCulture),
            ["sub"] = "\"alice\"",
            ["tenant_id"] = $"\"{_caller}\"",
        };
        foreach (var (claim, json) in overrides)
        {
            fields[claim] = json;
        }

        // A claim that extra names is left to extra (which gives it twice).
        var text = "{" + string.Join(",", fields.Where(f => extra?.Contains($"\"{f.Key}\"", StringComparison.Ordinal) != true)
            .Select(f => $"\"{f.Key}\":{f.Value}")) + (extra is null ? string.Empty : "," + extra) + "}";
        return text.Replace("{caller}", _caller, StringComparison.Ordinal).Replace("{other}", _other, StringComparison.Ordinal)
            .Replace("{past}", (now - 3600).ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{future}", (now + 1800).ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    /// <summary>RS256 over exactly these bytes: no library re-serialises (and so de-duplicates) the JSON first.</summary>
    private string Sign(string header, string payload)
    {
        var signingInput = Base64UrlEncoder.Encode(header) + "." + Base64UrlEncoder.Encode(payload);
        var signature = _signing.Key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return signingInput + "." + Base64UrlEncoder.Encode(signature);
    }

    /// <summary>The development issuer's key, as it keeps it in the home.</summary>
    private static (string KeyId, RSA Key) DevelopmentKey(string home)
    {
        DevelopmentTokenIssuer.LoadOrCreate(new TenantRag.Postgres.Installation.TenantRagHome(home));
        using var file = JsonDocument.Parse(File.ReadAllText(Path.Combine(home, "jwt-signing-key.json")));
        var key = RSA.Create();
        key.ImportFromPem(file.RootElement.GetProperty("PrivateKeyPem").GetString());
        return (file.RootElement.GetProperty("KeyId").GetString()!, key);
    }

    private static async Task AssertUnauthorizedAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"expected 401, got {(int)response.StatusCode}: {body}");
    }
}
