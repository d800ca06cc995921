using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using TenantRag.Server.Auth;
using TenantRag.Server.Observability;
using TenantRag.Tenancy;

namespace TenantRag.Server.Tenancy;

/// <summary>
/// Resolves the tenant once, at the edge: from the validated token's tenant claim (or, with
/// <see cref="AuthOptions.TenantPerUser"/>, from its subject), checked against the catalog. Unknown, deleted or
/// malformed tenants get 403; with auto-provisioning a per-user tenant is created on its first request.
/// </summary>
internal sealed class TenantResolutionMiddleware(RequestDelegate next, ITenantConnectionFactory sessions, AuthOptions auth, ServerOptions server,
    AutoProvisioner provisioner, ILogger<TenantResolutionMiddleware> logger, ServerTelemetry telemetry)
{
    public async Task InvokeAsync(HttpContext http)
    {
        if (!http.Request.Path.StartsWithSegments("/v1", StringComparison.Ordinal) || http.User.Identity?.IsAuthenticated != true)
        {
            // Unauthenticated /v1 requests are refused by the endpoints' authorization (401).
            await next(http).ConfigureAwait(false);
            return;
        }

        // One user and one tenant per token: with two, code reading the first and code reading the last would disagree.
        foreach (var claim in auth.TenantPerUser ? ["sub"] : new[] { "sub", auth.TenantClaim })
        {
            if (http.User.FindAll(claim).Skip(1).Any())
            {
                await Problems.WriteAsync(http, StatusCodes.Status403Forbidden, "Ambiguous token", $"the token has more than one '{claim}' claim: it must name exactly one").ConfigureAwait(false);
                return;
            }
        }

        if (!UserId.TryParse(http.User.FindFirst("sub")?.Value, out var user, out var reason))
        {
            await Problems.WriteAsync(http, StatusCodes.Status403Forbidden, "Invalid subject", $"the token's sub claim is not a valid user id: {reason}").ConfigureAwait(false);
            return;
        }

        var slugText = auth.TenantPerUser ? PerUserSlug(user) : http.User.FindFirst(auth.TenantClaim)?.Value;
        if (!TenantSlug.TryParse(slugText, out var slug))
        {
            await Problems.WriteAsync(http, StatusCodes.Status403Forbidden, "No tenant", $"the token's '{auth.TenantClaim}' claim does not name a tenant").ConfigureAwait(false);
            return;
        }

        TenantInfo tenant;
        try
        {
            tenant = await sessions.ResolveAsync(slug, http.RequestAborted).ConfigureAwait(false);
        }
        catch (TenantNotFoundException) when (auth.TenantPerUser && server.AutoProvision)
        {
            var outcome = await provisioner.ProvisionAsync(slug, http.RequestAborted).ConfigureAwait(false);
            if (outcome.Tenant is null)
            {
                if (outcome.RetryAfterSeconds > 0)
                {
                    http.Response.Headers.RetryAfter = outcome.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                }

                await Problems.WriteAsync(http, outcome.Status, outcome.Title, outcome.Detail).ConfigureAwait(false);
                return;
            }

            tenant = outcome.Tenant;
        }
        catch (TenantNotFoundException)
        {
            await Problems.WriteAsync(http, StatusCodes.Status403Forbidden, "Unknown tenant", "the token's tenant does not exist or was deleted").ConfigureAwait(false);
            return;
        }

        // Bound to this creation of the tenant: if it is deleted while the request runs (and its slug taken again),
        // the request's later sessions find nothing rather than the new tenant.
        var context = new TenantContext { Tenant = slug, User = user, Scopes = Scopes.Of(http.User), TenantId = tenant.Id };
        http.Features.Set(context);
        telemetry.TenantResolved(slug);
        using (logger.BeginScope(new Dictionary<string, object> { ["TenantId"] = slug.Value }))
        {
            await next(http).ConfigureAwait(false);
        }
    }

    /// <summary>The tenant of a user in the database-per-user model: a slug derived from the subject.</summary>
    public static string PerUserSlug(UserId user) =>
        "u-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(user.Value)))[..20];
}
