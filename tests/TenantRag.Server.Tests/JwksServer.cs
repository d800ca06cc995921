using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace TenantRag.Server.Tests;

/// <summary>A stand-in identity provider on loopback: serves a JWKS whose keys the test can rotate, and signs tokens.</summary>
internal sealed class JwksServer : IAsyncDisposable
{
    public const string Issuer = "https://issuer.test";
    public const string Audience = "tenantrag-api";

    private readonly WebApplication _app;
    private volatile RsaSecurityKey[] _published;
    private int _fetches;

    private JwksServer(WebApplication app, RsaSecurityKey key)
    {
        _app = app;
        CurrentKey = key;
        _published = [key];
    }

    public RsaSecurityKey CurrentKey { get; private set; }

    public string JwksUrl => _app.Urls.First() + "/jwks.json";

    public int Fetches => _fetches;

    public static async Task<JwksServer> StartAsync()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        var server = new JwksServer(app, NewKey());
        app.MapGet("/jwks.json", () =>
        {
            Interlocked.Increment(ref server._fetches);
            return Results.Json(new { keys = server._published.Select(k => ToJwk(k)).ToArray() });
        });
        await app.StartAsync(TestContext.Current.CancellationToken);
        return server;
    }

    public static RsaSecurityKey NewKey() =>
        new(RSA.Create(2048)) { KeyId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)) };

    /// <summary>Publishes a new key beside the old one and signs with it from now on (key rotation).</summary>
    public RsaSecurityKey Rotate()
    {
        var key = NewKey();
        _published = [.. _published, key];
        CurrentKey = key;
        return key;
    }

    public string Token(string tenant, string user, string? scope = null, string issuer = Issuer, string audience = Audience,
        DateTime? expires = null, SecurityKey? signingKey = null, string algorithm = SecurityAlgorithms.RsaSha256)
    {
        var claims = new List<Claim> { new("sub", user), new("tenant_id", tenant) };
        if (scope is not null)
        {
            claims.Add(new Claim("scope", scope));
        }

        var exp = expires ?? DateTime.UtcNow.AddMinutes(10);
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            Subject = new ClaimsIdentity(claims),
            IssuedAt = exp.AddMinutes(-20),
            NotBefore = exp.AddMinutes(-20),
            Expires = exp,
            SigningCredentials = new SigningCredentials(signingKey ?? CurrentKey, algorithm),
        });
    }

    private static object ToJwk(RsaSecurityKey key)
    {
        var parameters = key.Rsa.ExportParameters(false);
        return new
        {
            kty = "RSA",
            use = "sig",
            alg = "RS256",
            kid = key.KeyId,
            n = Base64UrlEncoder.Encode(parameters.Modulus),
            e = Base64UrlEncoder.Encode(parameters.Exponent),
        };
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
