using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using System.Text;
using TenantRag.Documents;
using TenantRag.Rag.Ingestion.Pipeline;
using TenantRag.Postgres;
using TenantRag.Server.Limits;
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

    /// <summary>A file as multipart (<c>file</c>, optional <c>visibility</c>), or JSON <c>{title, text, visibility}</c>.</summary>
    private static async Task<Results<Created<IngestResponse>, Ok<IngestResponse>, ProblemHttpResult>> AddAsync(HttpContext http, IngestionPipeline pipeline, IngestionGate gate)
    {
        var context = http.Tenant();
        IngestionInput input;
        string? visibilityText;
        if (http.Request.HasFormContentType)
        {
            var form = await ReadFormAsync(http.Request, http.RequestAborted).ConfigureAwait(false);
            var file = form.Files.GetFile("file") ?? throw new UsageException("the multipart request has no 'file' part");
            var fileName = SafeFileName(file.FileName);
            using var buffer = new MemoryStream();
            await file.CopyToAsync(buffer, http.RequestAborted).ConfigureAwait(false);
            input = IngestionInput.FromBytes(fileName, buffer.ToArray(), source: fileName);
            visibilityText = form["visibility"].FirstOrDefault();
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
        IngestionSummary summary;
        await gate.WaitAsync(http.RequestAborted).ConfigureAwait(false);
        try
        {
            summary = await pipeline.IngestAsync(new IngestionRequest { Context = context, Inputs = [input], Visibility = visibility }, null, http.RequestAborted).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }

        var rejected = summary.Rejected.Select(r => new RejectionResponse(r.Source, r.Reason, r.Message)).ToArray();
        if (rejected.Length > 0 && summary.Documents == 0)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: "Document rejected",
                detail: string.Join("; ", rejected.Select(r => $"{r.Reason}: {r.Message}")));
        }

        var outcome = summary.Added > 0 ? "added" : summary.Replaced > 0 ? "replaced" : "unchanged";
        var ids = summary.Stored.Select(d => d.Id).ToArray();
        var response = new IngestResponse(summary.Documents, summary.Added, summary.Replaced, summary.Unchanged, summary.Chunks, outcome, ids, rejected);
        return ids.Length > 0 ? TypedResults.Created(ids.Length == 1 ? $"/v1/documents/{ids[0]}" : "/v1/documents", response) : TypedResults.Ok(response);
    }

    private static string SafeFileName(string? raw)
    {
        // Keep the last path segment only: "../../etc/passwd" is just "passwd", and it is only ever a label.
        var name = Path.GetFileName((raw ?? string.Empty).Replace('\\', '/'));
        if (name.Length is 0 or > 255 || name.Any(char.IsControl) || name is "." or "..")
        {
            throw new UsageException("the uploaded file needs a plain file name (1-255 characters, no control characters)");
        }

        return name;
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

    private static async Task<IFormCollection> ReadFormAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await request.ReadFormAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidDataException || (ex is IOException and not BadHttpRequestException && !cancellationToken.IsCancellationRequested))
        {
            // No boundary, a broken part header, a part header over the 16 KB limit, a body cut short: the client's
            // fault. The framework's own messages quote the input, so this one does not.
            throw new UsageException("the multipart/form-data body is malformed (boundary, part headers or length): send a 'file' part, e.g. curl -F file=@notes.md");
        }
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
