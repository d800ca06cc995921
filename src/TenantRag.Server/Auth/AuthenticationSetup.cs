using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace TenantRag.Server.Auth;

/// <summary>JWT bearer validation: asymmetric algorithms only, issuer, audience and lifetime checked, skew ≤ 60 s.</summary>
internal static class AuthenticationSetup
{
    /// <summary>The scope that admin routes require.</summary>
    public const string AdminScope = "tenantrag:admin";

    /// <summary>Authorization policy name for admin routes.</summary>
    public const string AdminPolicy = "admin";

    // "none" and every HMAC (HS*) are refused: a token signed with the public key as an HMAC secret is not valid.
    private static readonly string[] AsymmetricAlgorithms =
    [
        SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512,
        SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.RsaSsaPssSha384, SecurityAlgorithms.RsaSsaPssSha512,
        SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.EcdsaSha512,
    ];

    /// <summary>
    /// JWT bearer authentication with <paramref name="options"/> (already validated): the development issuer's key when
    /// <paramref name="developmentIssuer"/> is given, else the identity provider's JWKS, refreshed in the background.
    /// </summary>
    public static void AddTenantRagAuthentication(this IServiceCollection services, AuthOptions options, DevelopmentTokenIssuer? developmentIssuer)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp =>
        {
            var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger("TenantRag.Server.Auth");
            if (developmentIssuer is not null)
            {
                return SigningKeyStore.Fixed([developmentIssuer.PublicKey], logger);
            }

            var jwks = new JwksClient(sp.GetRequiredService<IHttpClientFactory>().CreateClient("jwks"), options, sp.GetRequiredService<TimeProvider>());
            return SigningKeyStore.FromJwks(jwks.FetchAsync, options, sp.GetRequiredService<TimeProvider>(), logger);
        });
        if (developmentIssuer is null)
        {
            services.AddHostedService<KeyRefreshService>();
        }

        services.AddHttpClient("jwks", c =>
        {
            c.Timeout = TimeSpan.FromSeconds(10);
            c.MaxResponseContentBufferSize = 1024 * 1024;
        });

        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme).Configure<SigningKeyStore, TimeProvider>((jwt, keys, time) =>
        {
            jwt.MapInboundClaims = false;
            jwt.RequireHttpsMetadata = options.RequireHttpsMetadata;
            jwt.TokenHandlers.Clear();
            jwt.TokenHandlers.Add(new StrictJsonWebTokenHandler(keys, options, time));
            jwt.TokenValidationParameters = new TokenValidationParameters
            {
                ValidateIssuer = true,
                ValidIssuer = options.Issuer ?? options.Authority?.TrimEnd('/') ?? DevelopmentTokenIssuer.DefaultIssuer,
                ValidateAudience = true,
                ValidAudience = options.Audience,
                ValidateLifetime = true,
                RequireExpirationTime = true,
                RequireSignedTokens = true,
                ValidateIssuerSigningKey = true,
                ClockSkew = TimeSpan.FromSeconds(options.ClockSkewSeconds),
                ValidAlgorithms = AsymmetricAlgorithms,
                NameClaimType = "sub",
                // Synchronous and never fetching: StrictJsonWebTokenHandler has already waited (briefly) for unknown keys.
                IssuerSigningKeyResolver = (_, _, kid, _) => keys.Resolve(kid),
            };
        });

        services.AddAuthorizationBuilder().AddPolicy(AdminPolicy, policy => policy
            .RequireAuthenticatedUser()
            .RequireAssertion(ctx => Scopes.Of(ctx.User).Contains(AdminScope)));
    }
}
