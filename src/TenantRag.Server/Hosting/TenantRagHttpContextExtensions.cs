using Microsoft.AspNetCore.Http;
using TenantRag.Tenancy;

namespace TenantRag.Hosting;

/// <summary>The caller's tenant in an app's own endpoints, for opening tenant sessions (<see cref="ITenantConnectionFactory"/>).</summary>
public static class TenantRagHttpContextExtensions
{
    /// <summary>
    /// The caller's <see cref="TenantContext"/> (tenant and user), resolved from the verified token for every authenticated
    /// request under <c>/v1</c> by the middleware <see cref="TenantRagApiExtensions.MapTenantRagApi"/> adds.
    /// </summary>
    /// <exception cref="InvalidOperationException">No tenant was resolved: the request is not an authenticated one under <c>/v1</c>.</exception>
    public static TenantContext GetTenantContext(this HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        return http.Features.Get<TenantContext>()
            ?? throw new InvalidOperationException("no tenant was resolved for this request: TenantRag resolves the caller's tenant for authenticated requests under /v1");
    }
}
