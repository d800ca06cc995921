using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using TenantRag.Server.Auth;
using TenantRag.Tenancy;

namespace TenantRag.Server.Api;

/// <summary>
/// What the web page needs to sign in: whether the development issuer is on, and (only then) a development token
/// for an existing tenant, to direct requests from this machine (<see cref="DevelopmentSignIn"/>). Without
/// <c>--dev-auth</c> (<see cref="AuthOptions.DevelopmentIssuer"/>), <c>/auth/dev-token</c> does not exist.
/// </summary>
internal static class AuthApi
{
    // A working day; shorter when Auth:MaxTokenLifetimeMinutes is, so that the token is accepted.
    private static readonly TimeSpan SignInLifetime = TimeSpan.FromHours(8);

    public sealed record DevTokenRequest(string? Tenant, string? User);

    public sealed record TokenResponse(string Token);

    public static void MapAuthApi(this IEndpointRouteBuilder app, DevelopmentTokenIssuer? developmentIssuer, AuthOptions auth)
    {
        app.MapGet("/auth/config", () => TypedResults.Ok(new { developmentIssuer = developmentIssuer is not null, tenantPerUser = auth.TenantPerUser }))
            .WithTags("Auth").WithSummary("How sign-in works here: whether the development issuer is on, and whether each user has a tenant of their own");
        if (developmentIssuer is null)
        {
            return;
        }

        app.MapGet("/.well-known/jwks.json", () => TypedResults.Ok(developmentIssuer.Jwks())).WithTags("Auth")
            .WithSummary("The development issuer's public signing keys");
        app.MapPost("/auth/dev-token", async Task<Results<Ok<TokenResponse>, ProblemHttpResult>> (DevTokenRequest request, HttpContext http, ITenantCatalog catalog, CancellationToken cancellationToken) =>
        {
            // Minting tokens is for the developer at this machine only: not for whoever a proxy or a rebound name relays.
            if (DevelopmentSignIn.Refusal(http.Request) is { } refusal)
            {
                return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Development sign-in refused",
                    detail: refusal + "; configure Auth:Authority for real users");
            }

            var user = UserId.Parse(request.User);
            var slug = auth.TenantPerUser ? TenantSlug.Parse(Tenancy.TenantResolutionMiddleware.PerUserSlug(user)) : TenantSlug.Parse(request.Tenant);
            if (!auth.TenantPerUser && await catalog.FindAsync(slug, cancellationToken).ConfigureAwait(false) is not { Status: "active" })
            {
                return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown tenant",
                    detail: $"tenant '{slug}' does not exist: create it with 'tenantrag tenant create {slug}'");
            }

            return TypedResults.Ok(new TokenResponse(developmentIssuer.Issue(slug, user, Min(SignInLifetime, auth.MaxTokenLifetime), [])));
        }).WithTags("Auth").WithSummary("A development token for a user of a tenant (direct requests from this machine only)")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
