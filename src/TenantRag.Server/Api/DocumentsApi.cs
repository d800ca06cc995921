using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
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
    public sealed record DocumentResponse(Guid Id, string Title, string Owner, string Visibility, DateTimeOffset CreatedAt, string? FileName, string MediaType, long ByteSize);

    /// <summary>A page of the caller's documents, newest first; <c>next</c> is the cursor of the next page, null on the last.</summary>
    public sealed record DocumentListResponse(DocumentResponse[] Documents, string? Next);

    /// <summary>A document's extracted text.</summary>
    public sealed record DocumentContentResponse(Guid Id, string Title, string Text);

    public sealed record AddTextRequest(string? Title, string? Text, string? Visibility);

    public sealed record RejectionResponse(string Source, string Reason, string Message);

    public sealed record IngestResponse(int Documents, int Added, int Replaced, int Unchanged, long Chunks, string Outcome, Guid[] DocumentIds, RejectionResponse[] Rejected);

    public static RouteGroupBuilder MapDocumentsApi(this RouteGroupBuilder v1)
    {
        var group = v1.MapGroup("/documents").WithTags("Documents");

        // Bearer tokens, not cookies: there is no ambient credential for a cross-site form to ride on.
        group.MapPost("/", AddAsync).DisableAntiforgery().RequireRateLimiting(Limits.RateLimitSetup.IngestPolicy)
            .Accepts<AddTextRequest>("application/json", "multipart/form-data");
        group.MapGet("/", ListAsync)
            .WithSummary("The caller's documents, a page at a time")
            .WithDescription(
                $"Newest first (the id breaking ties), through the caller's row-level security. q: text the title or file name contains, without regard to case (at most {DocumentListQuery.MaxFilterLength} characters, no control characters). " +
                $"limit: documents per page, 1-{DocumentListQuery.MaxLimit} (default {DocumentListQuery.DefaultLimit}). cursor: the previous page's 'next', exactly as given (an opaque, sealed position; anything else is 400). " +
                "An empty parameter is the same as none.");
        group.MapGet("/{id:guid}", GetAsync);
        group.MapGet("/{id:guid}/content", GetContentAsync)
            .WithSummary("A document's extracted text")
            .WithDescription("JSON {id, title, text}: the text extraction made of the document, its sections a blank line apart with each heading on a line of its own. 404 like GET /v1/documents/{id}; 409 for a document stored before its text was kept (ingest its file again).");
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
                input = IngestionInput.FromText(title, text, source: "api:" + title);
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

    internal static DocumentResponse ToResponse(DocumentSummary d) =>
        new(d.Id, d.Title, d.OwnerId, d.Visibility.ToName(), d.CreatedAt, d.FileName, d.MediaType, d.ByteSize);

    // Parameters bound as text and checked here, so that every bad value is a 400 problem that says what to send.
    private static async Task<Ok<DocumentListResponse>> ListAsync(HttpContext http, TenantRagDatabase database,
        [FromQuery] string? q = null, [FromQuery] string? limit = null, [FromQuery] string? cursor = null)
    {
        var query = DocumentListQuery.Parse(Single(http, nameof(q), q), Single(http, nameof(limit), limit), Single(http, nameof(cursor), cursor));
        var page = await database.Documents.ListPageAsync(http.Tenant(), query, http.RequestAborted).ConfigureAwait(false);
        return TypedResults.Ok(new DocumentListResponse([.. page.Documents.Select(ToResponse)], page.Next));
    }

    // "?limit=5&limit=6" would bind as "5,6": a parameter given twice is refused rather than guessed at.
    private static string? Single(HttpContext http, string name, string? value) =>
        http.Request.Query[name].Count > 1 ? throw new UsageException($"the parameter '{name}' is given more than once: give it once") : value;

    // Another tenant's id, another user's private id and a missing id all answer the same 404.
    private static async Task<Results<Ok<DocumentContentResponse>, NotFound, ProblemHttpResult>> GetContentAsync(Guid id, HttpContext http, TenantRagDatabase database) =>
        await database.Documents.GetContentAsync(http.Tenant(), id, http.RequestAborted).ConfigureAwait(false) switch
        {
            null => TypedResults.NotFound(),
            { Text: null } => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "No text kept",
                detail: "the document was stored before TenantRag kept the extracted text of documents: upload or ingest its file again, and its text is kept"),
            { Document: var document, Text: var text } => TypedResults.Ok(new DocumentContentResponse(document.Id, document.Title, text)),
        };

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
