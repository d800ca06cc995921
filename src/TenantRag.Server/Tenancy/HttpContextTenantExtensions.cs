using Microsoft.AspNetCore.Http;
using TenantRag.Hosting;
using TenantRag.Tenancy;

namespace TenantRag.Server.Tenancy;

/// <summary>The caller's <see cref="TenantContext"/>, set by <see cref="TenantResolutionMiddleware"/>.</summary>
internal static class HttpContextTenantExtensions
{
    public static TenantContext Tenant(this HttpContext http) => http.GetTenantContext();
}
