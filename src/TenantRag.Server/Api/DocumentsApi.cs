using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using TenantRag.Documents;
using TenantRag.Postgres;
using TenantRag.Server.Tenancy;

namespace TenantRag.Server.Api;

/// <summary><c>/v1/documents</c>: the caller's tenant's documents, as row-level security lets the caller see them.</summary>
internal static class DocumentsApi
{
    public sealed record DocumentResponse(Guid Id, string Title, string Owner, string Visibility, DateTimeOffset CreatedAt);

    public static RouteGroupBuilder MapDocumentsApi(this RouteGroupBuilder v1)
    {
        var group = v1.MapGroup("/documents").WithTags("Documents");
        group.MapGet("/", ListAsync);
        group.MapGet("/{id:guid}", GetAsync);
        group.MapDelete("/{id:guid}", DeleteAsync);
        return group;
    }

    internal static DocumentResponse ToResponse(DocumentSummary d) => new(d.Id, d.Title, d.OwnerId, d.Visibility.ToName(), d.CreatedAt);

    private static async Task<Ok<DocumentResponse[]>> ListAsync(HttpContext http, TenantRagDatabase database) =>
        TypedResults.Ok((await database.Documents.ListAsync(http.Tenant(), http.RequestAborted).ConfigureAwait(false)).Select(ToResponse).ToArray());

    // Another tenant's id, another user's private id and a missing id all answer the same 404.
    private static async Task<Results<Ok<DocumentResponse>, NotFound>> GetAsync(Guid id, HttpContext http, TenantRagDatabase database) =>
        await database.Documents.GetAsync(http.Tenant(), id, http.RequestAborted).ConfigureAwait(false) is { } document
            ? TypedResults.Ok(ToResponse(document))
            : TypedResults.NotFound();

    private static async Task<Results<NoContent, NotFound>> DeleteAsync(Guid id, HttpContext http, TenantRagDatabase database) =>
        await database.Documents.DeleteAsync(http.Tenant(), id, http.RequestAborted).ConfigureAwait(false)
            ? TypedResults.NoContent()
            : TypedResults.NotFound();
}
