namespace TenantRag.Server.Auth;

/// <summary>How bearer tokens are validated and mapped to a tenant (configuration section <c>Auth</c>).</summary>
public sealed class AuthOptions
{
    /// <summary>An OpenID provider; its discovery document names the JWKS. Turns the development issuer off.</summary>
    public string? Authority { get; set; }

    /// <summary>A JWKS URL (instead of <see cref="Authority"/>). Turns the development issuer off.</summary>
    public string? JwksUrl { get; set; }

    /// <summary>Expected <c>iss</c>; defaults to the authority, or the development issuer's.</summary>
    public string? Issuer { get; set; }

    /// <summary>Expected <c>aud</c>.</summary>
    public string Audience { get; set; } = DevelopmentTokenIssuer.DefaultAudience;

    /// <summary>The claim that names the tenant.</summary>
    public string TenantClaim { get; set; } = "tenant_id";

    /// <summary>Every user is its own tenant (Neon's database-per-user model); the tenant claim is ignored.</summary>
    public bool TenantPerUser { get; set; }

    /// <summary>Allowed clock skew in seconds; at most 60.</summary>
    public int ClockSkewSeconds { get; set; } = 60;

    /// <summary>Require https for the authority's metadata and JWKS (turn off only for loopback tests).</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>At most one JWKS refresh per this many seconds when a token names an unknown key.</summary>
    public int KeyRefreshMinSeconds { get; set; } = 5;

    /// <summary>True when an external authority or JWKS is configured (the development issuer is then off).</summary>
    public bool HasExternalAuthority => !string.IsNullOrWhiteSpace(Authority) || !string.IsNullOrWhiteSpace(JwksUrl);

    /// <summary>Throws <see cref="ConfigurationException"/> naming the bad key.</summary>
    public void Validate()
    {
        if (ClockSkewSeconds is < 0 or > 60)
        {
            throw new ConfigurationException($"Auth:ClockSkewSeconds is {ClockSkewSeconds}: use 0 to 60");
        }

        if (string.IsNullOrWhiteSpace(TenantClaim))
        {
            throw new ConfigurationException("Auth:TenantClaim is empty: name the claim that carries the tenant (default tenant_id)");
        }

        foreach (var (key, value) in new[] { ("Auth:Authority", Authority), ("Auth:JwksUrl", JwksUrl) })
        {
            if (!string.IsNullOrWhiteSpace(value) && !Uri.TryCreate(value, UriKind.Absolute, out _))
            {
                throw new ConfigurationException($"{key} '{value}' is not an absolute URL");
            }
        }
    }
}
