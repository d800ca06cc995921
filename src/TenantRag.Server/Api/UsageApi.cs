using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using TenantRag.Documents;
using TenantRag.Postgres.Documents;
using TenantRag.Server.Limits;
using TenantRag.Server.Tenancy;

namespace TenantRag.Server.Api;

/// <summary><c>GET /v1/usage</c>: the caller's tenant's documents, chunks, bytes, queries and tokens.</summary>
internal static class UsageApi
{
    public static void MapUsageApi(this RouteGroupBuilder v1) =>
        v1.MapGet("/usage", async Task<Ok<TenantUsage>> (HttpContext http, UsageStore usage, UsageMeter meter) =>
        {
            // Counts still in memory are written first, so the caller sees its own latest queries.
            await meter.FlushAsync(http.RequestAborted).ConfigureAwait(false);
            return TypedResults.Ok(await usage.GetAsync(http.Tenant(), http.RequestAborted).ConfigureAwait(false));
        }).WithTags("Usage").WithSummary("The caller's tenant's documents, chunks, bytes, queries and tokens");
}
