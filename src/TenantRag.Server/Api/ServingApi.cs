using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using TenantRag.Hosting;
using TenantRag.Server.Auth;
using TenantRag.Tenancy;

namespace TenantRag.Server.Api;

/// <summary>
/// <c>GET /admin/v1/serving</c>: what this serving process holds now per tenant (cache bytes, connections), for tokens
/// with the <c>tenantrag:admin</c> scope. The whole fleet's view is <c>tenantrag tenant list --json</c>.
/// </summary>
internal static class ServingApi
{
    /// <summary>One tenant holding something in this process.</summary>
    public sealed record TenantHoldingResponse(string Slug, string Id, long CacheBytes, int Connections);

    /// <summary>This process and what it holds; tenants holding nothing are left out.</summary>
    public sealed record ServingResponse(int ProcessId, TenantHoldingResponse[] Tenants);

    public static void MapServingApi(this IEndpointRouteBuilder app) =>
        app.MapGet("/admin/v1/serving", async Task<Ok<ServingResponse>> (ServingPresenceService presence, ITenantCatalog catalog, CancellationToken cancellationToken) =>
        {
            var holdings = presence.Holdings();
            var tenants = holdings.Count == 0 ? [] : await catalog.ListAsync(cancellationToken).ConfigureAwait(false);
            var held = tenants.Where(t => holdings.ContainsKey(t.Id))
                .Select(t => new TenantHoldingResponse(t.Slug.Value, t.Id, holdings[t.Id].CacheBytes, holdings[t.Id].Connections))
                .OrderBy(t => t.Slug, StringComparer.Ordinal)
                .ToArray();
            return TypedResults.Ok(new ServingResponse(Environment.ProcessId, held));
        }).RequireAuthorization(AuthenticationSetup.AdminPolicy).WithTags("Admin").WithSummary("What this serving process holds per tenant: cache bytes and connections");
}
