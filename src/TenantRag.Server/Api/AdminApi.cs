using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using TenantRag.Server.Auth;
using TenantRag.Tenancy;

namespace TenantRag.Server.Api;

/// <summary><c>/admin/v1/tenants</c>: tenant lifecycle, for tokens with the <c>tenantrag:admin</c> scope.</summary>
internal static class AdminApi
{
    /// <summary>A new tenant: its slug, model (default shared) and the server of the fleet to create it on (null: the active one with the most free capacity).</summary>
    public sealed record CreateTenantRequest(string? Slug, string? Mode, string? Server = null);

    public sealed record TenantResponse(string Slug, string Mode, string Database, string Server, string Status, DateTimeOffset CreatedAt, DateTimeOffset? LastActiveAt);

    public sealed record DeletedTenantResponse(TenantResponse Deleted, long Documents, long Chunks, string? DroppedDatabase, string? DroppedRole);

    public static RouteGroupBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/admin/v1/tenants").RequireAuthorization(AuthenticationSetup.AdminPolicy).WithTags("Admin");
        group.MapPost("/", CreateAsync).WithSummary("Create a tenant (shared or dedicated)").ProducesProblem(StatusCodes.Status409Conflict);
        group.MapGet("/", ListAsync).WithSummary("All tenants");
        group.MapGet("/{slug}", GetAsync).WithSummary("One tenant");
        group.MapDelete("/{slug}", DeleteAsync).WithSummary("Delete a tenant and all its data");
        return group;
    }

    internal static TenantResponse ToResponse(TenantInfo t) =>
        new(t.Slug.Value, t.Mode.ToName(), t.Database, t.Server, t.Status, t.CreatedAt, t.LastActiveAt);

    private static async Task<Created<TenantResponse>> CreateAsync(CreateTenantRequest request, ITenantCatalog catalog, CancellationToken cancellationToken)
    {
        var slug = TenantSlug.Parse(request.Slug);
        var mode = TenancyModes.Parse(request.Mode ?? "shared");
        var tenant = await catalog.CreateAsync(slug, mode, request.Server, cancellationToken).ConfigureAwait(false);
        return TypedResults.Created($"/admin/v1/tenants/{tenant.Slug}", ToResponse(tenant));
    }

    private static async Task<Ok<TenantResponse[]>> ListAsync(ITenantCatalog catalog, CancellationToken cancellationToken) =>
        TypedResults.Ok((await catalog.ListAsync(cancellationToken).ConfigureAwait(false)).Select(ToResponse).ToArray());

    private static async Task<Results<Ok<TenantResponse>, NotFound>> GetAsync(string slug, ITenantCatalog catalog, CancellationToken cancellationToken) =>
        TenantSlug.TryParse(slug, out var parsed) && await catalog.FindAsync(parsed, cancellationToken).ConfigureAwait(false) is { } tenant
            ? TypedResults.Ok(ToResponse(tenant))
            : TypedResults.NotFound();

    private static async Task<Results<Ok<DeletedTenantResponse>, NotFound>> DeleteAsync(string slug, ITenantCatalog catalog, CancellationToken cancellationToken)
    {
        if (!TenantSlug.TryParse(slug, out var parsed) || await catalog.FindAsync(parsed, cancellationToken).ConfigureAwait(false) is null)
        {
            return TypedResults.NotFound();
        }

        var deletion = await catalog.DeleteAsync(parsed, cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(new DeletedTenantResponse(ToResponse(deletion.Tenant), deletion.Documents, deletion.Chunks, deletion.DroppedDatabase, deletion.DroppedRole));
    }
}
