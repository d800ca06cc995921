using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace TenantRag.Server.Tests;

/// <summary>
/// A stand-in identity provider on loopback: serves a JWKS whose keys the test can rotate and retire, with the
/// <c>Cache-Control</c> the test chooses, and can hold every JWKS request (a provider that does not answer) while
/// counting how many are in flight at once. Signs tokens.
/// </summary>
internal sealed class JwksServer : IAsyncDisposable
{
    public const string Issuer = "https://issuer.test";
    public const string Audience = "tenantrag-api";

    private readonly WebApplication _app;
    private readonly Lock _gate = new();
    private TaskCompletionSource _open = NewOpenGate();
    private volatile RsaSecurityKey[] _published;
    private int _fetches;
    private int _inFlight;
    private int _maxInFlight;

    private JwksServer(WebApplication app, RsaSecurityKey key)
    {
        _app = app;
        CurrentKey = key;
        _published = [key];
    }

    public RsaSecurityKey CurrentKey { get; private set; }

    public string JwksUrl => _app.Urls.First() + "/jwks.json";

    /// <summary>JWKS requests received (counted when they arrive, held or not).</summary>
    public int Fetches => Volatile.Read(ref _fetches);

    /// <summary>JWKS requests being answered (or held) right now.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>The most JWKS requests that were in flight at once.</summary>
    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    /// <summary>The <c>Cache-Control</c> value sent with the JWKS; null sends none.</summary>
    public string? CacheControl { get; set; }

    public static async Task<JwksServer> StartAsync(string? cacheControl = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        var server = new JwksServer(app, NewKey()) { CacheControl = cacheControl };
        app.MapGet("/jwks.json", (Delegate)server.ServeAsync);
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

    /// <summary>Stops publishing <paramref name="key"/> (the provider retired it, e.g. because it leaked).</summary>
    public void Retire(RsaSecurityKey key) => _published = [.. _published.Where(k => k.KeyId != key.KeyId)];

    /// <summary>Holds every JWKS request from now on until <see cref="Release"/>.</summary>
    public void Hold()
    {
        lock (_gate)
        {
            if (_open.Task.IsCompleted)
            {
                _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    /// <summary>Answers the held JWKS requests, and every later one at once.</summary>
    public void Release()
    {
        lock (_gate)
        {
            _open.TrySetResult();
        }
    }

    public string Token(string tenant, string user, string? scope = null, string issuer = Issuer, string audience = Audience,
        DateTime? expires = null, SecurityKey? signingKey = null, string algorithm = SecurityAlgorithms.RsaSha256, string tenantClaim = "tenant_id")
    {
        var claims = new List<Claim> { new("sub", user), new(tenantClaim, tenant) };
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

    private async Task<IResult> ServeAsync(HttpContext http)
    {
        Interlocked.Increment(ref _fetches);
        var now = Interlocked.Increment(ref _inFlight);
        for (var max = MaxInFlight; now > max; max = MaxInFlight)
        {
            Interlocked.CompareExchange(ref _maxInFlight, now, max);
        }

        try
        {
            Task open;
            lock (_gate)
            {
                open = _open.Task;
            }

            await open.WaitAsync(http.RequestAborted);
            if (CacheControl is { } cacheControl)
            {
                http.Response.Headers.CacheControl = cacheControl;
            }

            return Results.Json(new { keys = _published.Select(ToJwk).ToArray() });
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private static TaskCompletionSource NewOpenGate()
    {
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        open.SetResult();
        return open;
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
        Release();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
