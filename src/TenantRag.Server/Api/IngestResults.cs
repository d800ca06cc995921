using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using TenantRag.Rag.Ingestion;
using TenantRag.Rag.Ingestion.Pipeline;

namespace TenantRag.Server.Api;

/// <summary>
/// The answer to <c>POST /v1/documents</c>, from what the pipeline did. The rule, in order:
/// <list type="number">
/// <item>any document not stored because of the server (the database refused or went away, the model failed): 503 with
/// <c>Retry-After</c>, even when other documents of the file were stored. Nothing of a failed document was written, and
/// sending the same file again stores what is missing (what was stored is skipped as unchanged);</item>
/// <item>nothing stored or unchanged, and the file or its documents refused for their content: 413 when over a size
/// limit (bytes, characters, pages, chunks, documents, decompressed size), else 422;</item>
/// <item>otherwise 201 when something was added or replaced (a <c>Location</c> for one document), 200 when everything
/// was already stored; documents of a multi-document file refused for their content are listed in <c>rejected</c>.</item>
/// </list>
/// Problem documents carry <c>reason</c> (the first refusal's), <c>rejected</c> and, for 503, the <c>documentIds</c>
/// that were stored.
/// </summary>
internal static class IngestResults
{
    public static Results<Created<DocumentsApi.IngestResponse>, Ok<DocumentsApi.IngestResponse>, ProblemHttpResult> From(IngestionSummary summary, HttpResponse response)
    {
        var rejected = summary.Rejected.Select(r => new DocumentsApi.RejectionResponse(r.Source, r.Reason, r.Message)).ToArray();
        var ids = summary.Stored.Select(d => d.Id).ToArray();
        if (summary.HasServerErrors)
        {
            var failed = summary.Rejected.Where(r => r.IsServerError).ToArray();
            response.Headers.RetryAfter = Problems.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            return TypedResults.Problem(
                statusCode: StatusCodes.Status503ServiceUnavailable,
                title: "Not stored",
                detail: string.Create(CultureInfo.InvariantCulture,
                    $"{failed.Length} of {summary.Documents} document(s) could not be stored ({failed[0].Reason}: {failed[0].Message}); nothing of them was written. Send the same upload again in {Problems.RetryAfterSeconds} s: documents already stored are skipped as unchanged"),
                extensions: new Dictionary<string, object?> { ["reason"] = failed[0].Reason, ["documentIds"] = ids, ["rejected"] = rejected });
        }

        if (rejected.Length > 0 && summary.Added + summary.Replaced + summary.Unchanged == 0)
        {
            return Refused(rejected[0].Reason, string.Join("; ", rejected.Select(r => $"{r.Reason}: {r.Message}")), rejected);
        }

        var outcome = summary.Added > 0 ? "added" : summary.Replaced > 0 ? "replaced" : "unchanged";
        var body = new DocumentsApi.IngestResponse(summary.Documents, summary.Added, summary.Replaced, summary.Unchanged, summary.Chunks, outcome, ids, rejected);
        return ids.Length > 0 ? TypedResults.Created(ids.Length == 1 ? $"/v1/documents/{ids[0]}" : "/v1/documents", body) : TypedResults.Ok(body);
    }

    /// <summary>413 for a file or document over a size limit, 422 for one that cannot be read.</summary>
    public static ProblemHttpResult Refused(string reason, string detail, DocumentsApi.RejectionResponse[] rejected) =>
        IsTooLarge(reason)
            ? TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Document too large", detail: detail,
                extensions: new Dictionary<string, object?> { ["reason"] = reason, ["rejected"] = rejected })
            : TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: "Document rejected", detail: detail,
                extensions: new Dictionary<string, object?> { ["reason"] = reason, ["rejected"] = rejected });

    private static bool IsTooLarge(string reason) => reason is nameof(DocumentRejectionReason.TooLarge)
        or nameof(DocumentRejectionReason.TooManyCharacters) or nameof(DocumentRejectionReason.TooManyPages)
        or nameof(DocumentRejectionReason.TooManyChunks) or nameof(DocumentRejectionReason.TooManyDocuments)
        or nameof(DocumentRejectionReason.DecompressedTooLarge);
}
