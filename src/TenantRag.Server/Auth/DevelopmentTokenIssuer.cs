using System.Globalization;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using TenantRag.Postgres.Installation;
using TenantRag.Tenancy;

namespace TenantRag.Server.Auth;

/// <summary>
/// The local development issuer: an RSA key kept in <c>$TENANTRAG_HOME/jwt-signing-key.json</c> (mode 0600) signs
/// tokens for <c>tenantrag token</c>; the server publishes the public half at <c>/.well-known/jwks.json</c>.
/// Off whenever an external authority is configured.
/// </summary>
public sealed class DevelopmentTokenIssuer
{
    /// <summary>The <c>iss</c> of development tokens.</summary>
    public const string DefaultIssuer = "tenantrag-dev";

    /// <summary>The default <c>aud</c>.</summary>
    public const string DefaultAudience = "tenantrag";

    /// <summary>Longest token lifetime it will issue.</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(30);

    private readonly RsaSecurityKey _privateKey;

    private DevelopmentTokenIssuer(RsaSecurityKey privateKey, RsaSecurityKey publicKey)
    {
        _privateKey = privateKey;
        PublicKey = publicKey;
    }

    /// <summary>The verification key.</summary>
    public RsaSecurityKey PublicKey { get; }

    /// <summary>Loads the key from <paramref name="home"/>, creating it on first use.</summary>
    public static DevelopmentTokenIssuer LoadOrCreate(TenantRagHome home)
    {
        ArgumentNullException.ThrowIfNull(home);
        home.EnsureExists();
        var path = Path.Combine(home.Root, "jwt-signing-key.json");
        if (!File.Exists(path))
        {
            using var fresh = RSA.Create(2048);
            var record = new KeyFile(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)), fresh.ExportPkcs8PrivateKeyPem());
            var temp = path + "." + Environment.ProcessId + ".tmp";
            using (var stream = new FileStream(temp, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
            {
                JsonSerializer.Serialize(stream, record);
            }

            try
            {
                File.Move(temp, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                File.Delete(temp); // another process made it first: use theirs
            }
        }

        var key = JsonSerializer.Deserialize<KeyFile>(File.ReadAllText(path))
            ?? throw new ConfigurationException($"{path} is empty: delete it to make a new development signing key");
        var rsa = RSA.Create();
        rsa.ImportFromPem(key.PrivateKeyPem);
        var publicRsa = RSA.Create();
        publicRsa.ImportParameters(rsa.ExportParameters(includePrivateParameters: false));
        return new DevelopmentTokenIssuer(new RsaSecurityKey(rsa) { KeyId = key.KeyId }, new RsaSecurityKey(publicRsa) { KeyId = key.KeyId });
    }

    /// <summary>A signed RS256 token for <paramref name="user"/> of <paramref name="tenant"/>.</summary>
    public string Issue(TenantSlug tenant, UserId user, TimeSpan lifetime, IEnumerable<string> scopes, string issuer = DefaultIssuer, string audience = DefaultAudience)
    {
        if (lifetime <= TimeSpan.Zero || lifetime > MaxLifetime)
        {
            throw new UsageException(string.Create(CultureInfo.InvariantCulture,
                $"a token lifetime of {lifetime.TotalSeconds:0.###} seconds is out of range: use more than 0 and at most {MaxLifetime.TotalDays:0} days (e.g. --ttl 1h)"));
        }

        var claims = new List<Claim> { new("sub", user.Value), new("tenant_id", tenant.Value) };
        var scopeList = scopes.Where(s => !string.IsNullOrWhiteSpace(s)).ToList();
        if (scopeList.Count > 0)
        {
            claims.Add(new Claim("scope", string.Join(' ', scopeList)));
        }

        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            Subject = new ClaimsIdentity(claims),
            IssuedAt = now,
            NotBefore = now,
            Expires = now + lifetime,
            SigningCredentials = new SigningCredentials(_privateKey, SecurityAlgorithms.RsaSha256),
        });
    }

    /// <summary>
    /// Signs <paramref name="payload"/> (the token's JSON claims) exactly as given, unchecked: the tests use it to
    /// present the server with correctly signed tokens whose claims are hostile (a tenant claim holding SQL, a
    /// subject holding NUL or a lone surrogate, a claim given twice).
    /// </summary>
    internal string SignPayload(string payload) =>
        new JsonWebTokenHandler().CreateToken(payload, new SigningCredentials(_privateKey, SecurityAlgorithms.RsaSha256));

    /// <summary>The public key set, as served at <c>/.well-known/jwks.json</c>.</summary>
    public object Jwks()
    {
        var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(PublicKey);
        return new { keys = new[] { new { kty = jwk.Kty, use = "sig", alg = SecurityAlgorithms.RsaSha256, kid = jwk.Kid, n = jwk.N, e = jwk.E } } };
    }

    private sealed record KeyFile(string KeyId, string PrivateKeyPem);
}
