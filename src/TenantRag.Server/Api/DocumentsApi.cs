using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using System.Text;
using TenantRag.Server.Jobs;
using TenantRag.Rag.Ingestion.Extraction;
using TenantRag.Jobs;
using TenantRag.Postgres.Jobs;
using System.Globalization;
using TenantRag.Documents;
using TenantRag.Rag.Ingestion;
using TenantRag.Rag.Ingestion.Pipeline;
using TenantRag.Rag.Retrieval.Search;
using TenantRag.Server.Uploads;
using TenantRag.Server.Tenancy;
using TenantRag.Server.Observability;

namespace TenantRag.Server.Api;

/// <summary><c>/v1/documents</c>: the caller's tenant's documents, as row-level security lets the caller see them.</summary>
internal static class DocumentsApi
{
    /// <summary>The longest <c>Prefer: wait</c> honoured, in seconds.</summary>
    public const int MaxWaitSeconds = 60;

    public sealed record DocumentResponse(Guid Id, string Title, string Owner, string Visibility, DateTimeOffset CreatedAt, string? FileName, string MediaType, long ByteSize);

    /// <summary>A page of the caller's documents, newest first; <c>next</c> is the cursor of the next page, null on the last.</summary>
    public sealed record DocumentListResponse(DocumentResponse[] Documents, string? Next);

    /// <summary>A document's extracted text.</summary>
    public sealed record DocumentContentResponse(Guid Id, string Title, string Text);

    public sealed record AddTextRequest(string? Title, string? Text, string? Visibility);

    public sealed record RejectionResponse(string Source, string Reason, string Message);

    public sealed record AcceptedResponse(Guid JobId, string Status);

    public sealed record IngestResponse(int Documents, int Added, int Replaced, int Unchanged, long Chunks, string Outcome, Guid[] DocumentIds, RejectionResponse[] Rejected);

    public static RouteGroupBuilder MapDocumentsApi(this RouteGroupBuilder v1)
    {
        var group = v1.MapGroup("/documents").WithTags("Documents");

        // Bearer tokens, not cookies: there is no ambient credential for a cross-site form to ride on.
        group.MapPost("/", AddAsync).DisableAntiforgery().RequireRateLimiting(Limits.RateLimitSetup.IngestPolicy)
            .Accepts<AddTextRequest>("application/json", "multipart/form-data")
            .Produces<AcceptedResponse>(StatusCodes.Status202Accepted)
            .Produces<IngestResponse>(StatusCodes.Status201Created)
            .Produces<IngestResponse>(StatusCodes.Status200OK)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .WithSummary("Upload a document (a file, or JSON text) as a job")
            .WithDescription("Stores the upload with its job and answers 202 with `Location: /v1/jobs/{id}`. With `Prefer: wait=N` (at most 60 s) it waits for the job and, if it finishes in time, answers with its outcome: 201 added or replaced, 200 unchanged, 413/422 refused, 503 failed on the server's side.");
        group.MapGet("/", ListAsync)
            .WithSummary("The caller's documents, a page at a time")
            .WithDescription(
                $"Newest first (the id breaking ties), through the caller's row-level security. q: text the title or file name contains, without regard to case (at most {DocumentListQuery.MaxFilterLength} characters, no control characters). " +
                $"limit: documents per page, 1-{DocumentListQuery.MaxLimit} (default {DocumentListQuery.DefaultLimit}). cursor: the previous page's 'next', exactly as given (an opaque, sealed position; anything else is 400). " +
                "An empty parameter is the same as none.");
        group.MapGet("/{id:guid}", GetAsync).WithSummary("One document's details");
        group.MapGet("/{id:guid}/content", GetContentAsync)
            .WithSummary("A document's extracted text")
            .WithDescription("JSON {id, title, text}: the text extraction made of the document, its sections a blank line apart with each heading on a line of its own. 404 like GET /v1/documents/{id}; 409 for a document stored before its text was kept (ingest its file again).");
        group.MapDelete("/{id:guid}", DeleteAsync).WithSummary("Delete a document and its chunks");
        return group;
    }

    /// <summary>
    /// A file as multipart (<c>file</c>, optional <c>visibility</c>), or JSON <c>{title, text, visibility}</c>, stored with
    /// its job in one transaction of the caller's session: 202 with the job (<c>Location: /v1/jobs/{id}</c>). With
    /// <c>Prefer: wait=N</c> (N ≤ 60 s) the answer waits for the job and, when it finishes in time, is the outcome itself
    /// (see <see cref="IngestResults"/>). A file no extractor reads, an empty one, or one over the size limit is refused
    /// at once, and nothing is stored.
    /// </summary>
    private static async Task<IResult> AddAsync(HttpContext http, IngestJobStore jobs, IngestionPipeline pipeline, IngestionOptions limits,
        UploadDirectory uploads, JobSignal signal, JobCompletions completions, ServerTelemetry telemetry)
    {
        var context = http.Tenant();
        UploadedFile? upload = null;
        try
        {
            NewIngestJob job;
            Stream content;
            if (http.Request.HasFormContentType)
            {
                (upload, var visibilityText) = await MultipartUpload.ReadAsync(http.Request, uploads, limits.MaxFileSizeBytes, http.RequestAborted)
                    .ConfigureAwait(false);
                var visibility = visibilityText is null ? DocumentVisibility.Tenant : DocumentVisibilities.Parse(visibilityText);
                pipeline.EnsureSupported(upload.FileName);
                if (upload.Length == 0)
                {
                    throw new DocumentRejectedException(upload.FileName, DocumentRejectionReason.EmptyFile, "the file is empty (0 bytes); upload a file with content");
                }

                job = new NewIngestJob
                {
                    FileName = upload.FileName, Source = upload.FileName, MediaType = MediaTypes.Of(upload.FileName), Visibility = visibility, ByteSize = upload.Length,
                };
                content = File.OpenRead(upload.Path);
            }
            else if (http.Request.HasJsonContentType())
            {
                var request = await http.Request.ReadFromJsonAsync<AddTextRequest>(http.RequestAborted).ConfigureAwait(false)
                    ?? throw new UsageException("the JSON body is empty: send {\"title\": ..., \"text\": ...}");
                var title = ValidateTitle(request.Title);
                var bytes = Encoding.UTF8.GetBytes(ValidateText(request.Text));
                var visibility = request.Visibility is null ? DocumentVisibility.Tenant : DocumentVisibilities.Parse(request.Visibility);
                if (bytes.Length > limits.MaxFileSizeBytes)
                {
                    throw new DocumentRejectedException("document.md", DocumentRejectionReason.TooLarge,
                        $"the text is {bytes.Length:N0} bytes, over the limit of {limits.MaxFileSizeBytes:N0} bytes (Ingestion:MaxFileSizeBytes)");
                }

                // The text is Markdown; the title is kept as given (not rendered from a heading, which would turn
                // "&amp;" into "&" and drop "<b>"). Re-posting the same title replaces the document.
                job = new NewIngestJob
                {
                    FileName = "document.md", Source = "api:" + title, Title = title, MediaType = MediaTypes.Of("document.md"), Visibility = visibility,
                    ByteSize = bytes.Length,
                };
                content = new MemoryStream(bytes, writable: false);
            }
            else
            {
                return TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type",
                    detail: "send multipart/form-data with a 'file' part, or application/json {title, text, visibility}");
            }

            IngestJobInfo created;
            await using (content.ConfigureAwait(false))
            {
                created = await jobs.CreateAsync(context, job, content, http.RequestAborted).ConfigureAwait(false);
            }

            telemetry.JobQueued(created.Id);
            signal.Notify();
            if (PreferredWait(http.Request) is { } wait)
            {
                http.Response.Headers["Preference-Applied"] = string.Create(CultureInfo.InvariantCulture, $"wait={(int)wait.TotalSeconds}");
                var finished = await JobsApi.WaitAsync(jobs, completions, context, created.Id, wait, http.RequestAborted).ConfigureAwait(false);
                if (finished is { } done && done.Status.IsFinished())
                {
                    return IngestResults.From(done, http.Response);
                }
            }

            return TypedResults.Accepted($"/v1/jobs/{created.Id}", new AcceptedResponse(created.Id, created.Status.ToName()));
        }
        catch (DocumentRejectedException ex)
        {
            // Refused before anything was stored: over the size limit while it arrived, no extractor for it, or empty.
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

    // RFC 7240: "Prefer: wait=30" (alone or beside other preferences, e.g. "respond-async, wait=30"); at most a minute.
    private static TimeSpan? PreferredWait(HttpRequest request)
    {
        foreach (var value in request.Headers["Prefer"])
        {
            foreach (var preference in (value ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (preference.StartsWith("wait=", StringComparison.OrdinalIgnoreCase)
                    && int.TryParse(preference.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds > 0)
                {
                    return TimeSpan.FromSeconds(Math.Min(seconds, MaxWaitSeconds));
                }
            }
        }

        return null;
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
    private static async Task<Ok<DocumentListResponse>> ListAsync(HttpContext http, IDocumentRepository documents,
        [FromQuery] string? q = null, [FromQuery] string? limit = null, [FromQuery] string? cursor = null)
    {
        var query = DocumentListQuery.Parse(Single(http, nameof(q), q), Single(http, nameof(limit), limit), Single(http, nameof(cursor), cursor));
        var page = await documents.ListPageAsync(http.Tenant(), query, http.RequestAborted).ConfigureAwait(false);
        return TypedResults.Ok(new DocumentListResponse([.. page.Documents.Select(ToResponse)], page.Next));
    }

    // "?limit=5&limit=6" would bind as "5,6": a parameter given twice is refused rather than guessed at.
    private static string? Single(HttpContext http, string name, string? value) =>
        http.Request.Query[name].Count > 1 ? throw new UsageException($"the parameter '{name}' is given more than once: give it once") : value;

    // Another tenant's id, another user's private id and a missing id all answer the same 404.
    private static async Task<Results<Ok<DocumentContentResponse>, NotFound, ProblemHttpResult>> GetContentAsync(Guid id, HttpContext http, IDocumentRepository documents) =>
        await documents.GetContentAsync(http.Tenant(), id, http.RequestAborted).ConfigureAwait(false) switch
        {
            null => TypedResults.NotFound(),
            { Text: null } => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "No text kept",
                detail: "the document was stored before TenantRag kept the extracted text of documents: upload or ingest its file again, and its text is kept"),
            { Document: var document, Text: var text } => TypedResults.Ok(new DocumentContentResponse(document.Id, document.Title, text)),
        };

    // Another tenant's id, another user's private id and a missing id all answer the same 404.
    private static async Task<Results<Ok<DocumentResponse>, NotFound>> GetAsync(Guid id, HttpContext http, IDocumentRepository documents) =>
        await documents.GetAsync(http.Tenant(), id, http.RequestAborted).ConfigureAwait(false) is { } document
            ? TypedResults.Ok(ToResponse(document))
            : TypedResults.NotFound();

    private static async Task<Results<NoContent, NotFound>> DeleteAsync(Guid id, HttpContext http, IDocumentRepository documents, IndexSnapshots snapshots)
    {
        if (!await documents.DeleteAsync(http.Tenant(), id, http.RequestAborted).ConfigureAwait(false))
        {
            return TypedResults.NotFound();
        }

        // In the background, debounced per tenant: the answer does not wait for it.
        snapshots.RequestRebuild(http.Tenant());
        return TypedResults.NoContent();
    }
}
