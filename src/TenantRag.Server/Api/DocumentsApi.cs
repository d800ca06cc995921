using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using System.Text;
using TenantRag.Documents;
using TenantRag.Rag.Ingestion;
using TenantRag.Rag.Ingestion.Pipeline;
using TenantRag.Postgres;
using TenantRag.Server.Uploads;
using TenantRag.Server.Tenancy;

namespace TenantRag.Server.Api;

/// <summary><c>/v1/documents</c>: the caller's tenant's documents, as row-level security lets the caller see them.</summary>
internal static class DocumentsApi
{
    public sealed record DocumentResponse(Guid Id, string Title, string Owner, string Visibility, DateTimeOffset CreatedAt);

    public sealed record AddTextRequest(string? Title, string? Text, string? Visibility);

    public sealed record RejectionResponse(string Source, string Reason, string Message);

    public sealed record IngestResponse(int Documents, int Added, int Replaced, int Unchanged, long Chunks, string Outcome, Guid[] DocumentIds, RejectionResponse[] Rejected);

    public static RouteGroupBuilder MapDocumentsApi(this RouteGroupBuilder v1)
    {
        var group = v1.MapGroup("/documents").WithTags("Documents");

        // Bearer tokens, not cookies: there is no ambient credential for a cross-site form to ride on.
        group.MapPost("/", AddAsync).DisableAntiforgery().RequireRateLimiting(Limits.RateLimitSetup.IngestPolicy)
            .Accepts<AddTextRequest>("application/json", "multipart/form-data");
        group.MapGet("/", ListAsync);
        group.MapGet("/{id:guid}", GetAsync);
        group.MapDelete("/{id:guid}", DeleteAsync);
        return group;
    }

    /// <summary>
    /// A file as multipart (<c>file</c>, optional <c>visibility</c>), or JSON <c>{title, text, visibility}</c>. A file is
    /// streamed to a file of the server's own (deleted when the request ends) and read from there; cancelling the request
    /// (the client going away) stops every step of its ingestion. The status follows <see cref="IngestResults"/>.
    /// </summary>
    private static async Task<Results<Created<IngestResponse>, Ok<IngestResponse>, ProblemHttpResult>> AddAsync(HttpContext http, IngestionPipeline pipeline,
        IngestionOptions limits, UploadDirectory uploads)
    {
        var context = http.Tenant();
        UploadedFile? upload = null;
        try
        {
            IngestionInput input;
            string? visibilityText;
            if (http.Request.HasFormContentType)
            {
                (upload, visibilityText) = await MultipartUpload.ReadAsync(http.Request, uploads, limits.MaxFileSizeBytes, http.RequestAborted)
                    .ConfigureAwait(false);
                input = IngestionInput.FromFile(upload.Path, source: upload.FileName) with { FileName = upload.FileName };
            }
            else if (http.Request.HasJsonContentType())
            {
                var request = await http.Request.ReadFromJsonAsync<AddTextRequest>(http.RequestAborted).ConfigureAwait(false)
                    ?? throw new UsageException("the JSON body is empty: send {\"title\": ..., \"text\": ...}");
                var title = ValidateTitle(request.Title);
                var text = ValidateText(request.Text);

                // The text is Markdown; the title is kept as given (not rendered from a heading, which would turn
                // "&amp;" into "&" and drop "<b>"). Re-posting the same title replaces the document.
                input = IngestionInput.FromBytes("document.md", Encoding.UTF8.GetBytes(text), source: "api:" + title) with { Title = title };
                visibilityText = request.Visibility;
            }
            else
            {
                return TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type",
                    detail: "send multipart/form-data with a 'file' part, or application/json {title, text, visibility}");
            }

            var visibility = visibilityText is null ? DocumentVisibility.Tenant : DocumentVisibilities.Parse(visibilityText);
            var summary = await pipeline.IngestAsync(new IngestionRequest { Context = context, Inputs = [input], Visibility = visibility }, null, http.RequestAborted)
                .ConfigureAwait(false);
            return IngestResults.From(summary, http.Response);
        }
        catch (DocumentRejectedException ex) when (ex.Reason == DocumentRejectionReason.TooLarge)
        {
            // The upload passed the size limit while it arrived: refused before anything was read.
            return IngestResults.Refused(ex.Reason.ToString(), $"{ex.Reason}: {ex.Detail}", [new RejectionResponse(ex.FileName, ex.Reason.ToString(), ex.Detail)]);
        }
        finally
        {
            if (upload is not null)
            {
                await upload.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static string ValidateTitle(string? title)
    {
        title = title?.Trim();
        if (string.IsNullOrEmpty(title) || title.Length > 1000 || title.Any(char.IsControl))
        {
            throw new UsageException("the title must be 1-1000 characters without control characters");
        }

        return title;
    }

    private static string ValidateText(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new UsageException("the document text is empty");
        }

        UsageException.ThrowIfControlCharacters(text, "document text");
        return text;
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
