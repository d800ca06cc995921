using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using TenantRag.Documents;
using TenantRag.Postgres.Documents;
using TenantRag.Postgres.Usage;
using TenantRag.Server.Auth;
using TenantRag.Server.Tenancy;
using TenantRag.Tenancy;

namespace TenantRag.Server.Api;

/// <summary>
/// <c>GET /v1/usage</c>: the caller's tenant's documents, chunks and bytes, its metered queries and tokens, and its
/// metered days; <c>GET /admin/v1/usage</c>: every tenant's metered days, for tokens with the admin scope.
/// <c>?since=yyyy-mm-dd</c> (UTC) starts the days there.
/// </summary>
internal static class UsageApi
{
    /// <summary>Every tenant's metered days (<c>GET /admin/v1/usage</c>, <c>tenantrag usage --json</c>).</summary>
    public sealed record UsageReportResponse(string? Since, TenantDaysResponse[] Tenants);

    /// <summary>One tenant's metered days.</summary>
    public sealed record TenantDaysResponse(string Tenant, string Mode, string Server, IReadOnlyList<UsageDay> Days);

    public static void MapUsageApi(this RouteGroupBuilder v1) =>
        v1.MapGet("/usage", async Task<Ok<TenantUsage>> (HttpContext http, UsageStore usage, string? since) =>
        {
            var first = UsageDates.ParseSince(since, "since");
            return TypedResults.Ok(await usage.GetAsync(http.Tenant(), first, http.RequestAborted).ConfigureAwait(false));
        }).WithTags("Usage").WithSummary("The caller's tenant's documents, chunks, bytes, metered queries and tokens, and its metered days (?since=yyyy-mm-dd)")
            .ProducesProblem(StatusCodes.Status400BadRequest);

    public static void MapAdminUsageApi(this IEndpointRouteBuilder app) =>
        app.MapGet("/admin/v1/usage", async Task<Ok<UsageReportResponse>> (UsageLedger ledger, string? since, string? tenant, CancellationToken cancellationToken) =>
        {
            var first = UsageDates.ParseSince(since, "since");
            var slug = tenant is null ? (TenantSlug?)null : TenantSlug.Parse(tenant);
            return TypedResults.Ok(ToResponse(first, await ledger.ReportAsync(slug, first, cancellationToken).ConfigureAwait(false)));
        }).RequireAuthorization(AuthenticationSetup.AdminPolicy).WithTags("Admin")
            .WithSummary("Every tenant's metered days (?since=yyyy-mm-dd, ?tenant=slug), from every server of the fleet")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);

    internal static UsageReportResponse ToResponse(DateOnly? since, IReadOnlyList<TenantUsageReport> reports) =>
        new(since?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            [.. reports.Select(r => new TenantDaysResponse(r.Tenant.Value, r.Mode.ToName(), r.Server, r.Days))]);
}
