namespace TenantRag.Server.Auth;

/// <summary>How bearer tokens are validated and mapped to a tenant (configuration section <c>Auth</c>).</summary>
public sealed class AuthOptions
{
    /// <summary>The longest token lifetime any setting may allow: what <c>tenantrag token --ttl</c> may issue.</summary>
    public const int MaxTokenLifetimeMinutesLimit = 30 * 24 * 60;

    /// <summary>The default lifetime ceiling with an external identity provider: one day.</summary>
    public const int DefaultExternalMaxTokenLifetimeMinutes = 24 * 60;

    /// <summary>An OpenID provider; its discovery document names the JWKS.</summary>
    public string? Authority { get; set; }

    /// <summary>A JWKS URL (instead of <see cref="Authority"/>).</summary>
    public string? JwksUrl { get; set; }

    /// <summary>
    /// The local development issuer (<c>serve --dev-auth</c>): tokens signed with the key in <c>$TENANTRAG_HOME</c>, and
    /// <c>/auth/dev-token</c>, which mints one for any tenant and user to direct requests from this machine. Off by
    /// default; exactly one of this and an external authority must be chosen.
    /// </summary>
    public bool DevelopmentIssuer { get; set; }

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

    /// <summary>
    /// The longest lifetime a token may have, in minutes (from <c>iat</c>, else <c>nbf</c>, to <c>exp</c>, and from now
    /// to <c>exp</c>); longer ones are refused. Default: a day with an external authority, 30 days (what
    /// <c>tenantrag token --ttl</c> may issue) with the development issuer; at most 30 days.
    /// </summary>
    public int? MaxTokenLifetimeMinutes { get; set; }

    /// <summary>Require https for the authority's metadata and JWKS (turn off only for loopback tests).</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>At least this many seconds between two JWKS fetches prompted by tokens naming an unknown key.</summary>
    public int KeyRefreshMinSeconds { get; set; } = 5;

    /// <summary>The JWKS is refreshed on a timer after its <c>Cache-Control: max-age</c> (or <c>Expires</c>), but not sooner than this.</summary>
    public int KeyCacheMinSeconds { get; set; } = 300;

    /// <summary>... and not later than this, which is also the interval when the provider sends no cache headers.</summary>
    public int KeyCacheMaxSeconds { get; set; } = 3600;

    /// <summary>How long a request whose token names an unknown key may wait for a JWKS fetch before it is refused (401).</summary>
    public int KeyWaitSeconds { get; set; } = 5;

    /// <summary>True when an external authority or JWKS is configured.</summary>
    public bool HasExternalAuthority => !string.IsNullOrWhiteSpace(Authority) || !string.IsNullOrWhiteSpace(JwksUrl);

    /// <summary>The lifetime ceiling in force: the setting, else the default for the chosen issuer.</summary>
    public TimeSpan MaxTokenLifetime => TimeSpan.FromMinutes(
        MaxTokenLifetimeMinutes ?? (HasExternalAuthority ? DefaultExternalMaxTokenLifetimeMinutes : MaxTokenLifetimeMinutesLimit));

    /// <summary>Throws <see cref="UsageException"/> (exit code 2) naming the bad key, or two issuers chosen at once.</summary>
    public void Validate()
    {
        if (HasExternalAuthority && DevelopmentIssuer)
        {
            var external = string.IsNullOrWhiteSpace(Authority) ? "Auth:JwksUrl" : "Auth:Authority";
            throw new UsageException($"both {external} and Auth:DevelopmentIssuer (--dev-auth) are set: choose one");
        }

        foreach (var (key, value) in new[] { ("Auth:Authority", Authority), ("Auth:JwksUrl", JwksUrl) })
        {
            if (!string.IsNullOrWhiteSpace(value) && !Uri.TryCreate(value, UriKind.Absolute, out _))
            {
                throw new UsageException($"setting {key} '{UsageException.Echo(value)}' is not an absolute URL");
            }
        }

        if (string.IsNullOrWhiteSpace(TenantClaim))
        {
            throw new UsageException("setting Auth:TenantClaim is empty: name the claim that carries the tenant (default tenant_id)");
        }

        CheckRange("Auth:ClockSkewSeconds", ClockSkewSeconds, 0, 60);
        CheckRange("Auth:MaxTokenLifetimeMinutes", MaxTokenLifetimeMinutes ?? 1, 1, MaxTokenLifetimeMinutesLimit);
        CheckRange("Auth:KeyRefreshMinSeconds", KeyRefreshMinSeconds, 0, 3600);
        CheckRange("Auth:KeyCacheMinSeconds", KeyCacheMinSeconds, 1, 86_400);
        CheckRange("Auth:KeyCacheMaxSeconds", KeyCacheMaxSeconds, KeyCacheMinSeconds, 86_400);
        CheckRange("Auth:KeyWaitSeconds", KeyWaitSeconds, 0, 60);
    }

    /// <summary>What serving the API needs on top of <see cref="Validate"/>: an identity provider to trust.</summary>
    /// <exception cref="UsageException">Neither an external authority nor the development issuer is configured.</exception>
    public void RequireIdentityProvider()
    {
        if (!HasExternalAuthority && !DevelopmentIssuer)
        {
            throw new UsageException("no identity provider: set Auth:Authority (or Auth:JwksUrl) for real users, "
                + "or start with --dev-auth (Auth:DevelopmentIssuer=true) for development sign-in on this machine");
        }
    }

    private static void CheckRange(string key, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            throw new UsageException($"setting {key} is {value}: use {min} to {max}");
        }
    }
}
