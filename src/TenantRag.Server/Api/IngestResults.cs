using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using TenantRag.Rag.Ingestion;
using System.Text.Json;
using TenantRag.Jobs;
using TenantRag.Rag.Ingestion.Pipeline;

namespace TenantRag.Server.Api;

/// <summary>
/// The answer to <c>POST /v1/documents</c> with <c>Prefer: wait</c>, from the finished job. The rule, in order:
/// <list type="number">
/// <item>the job failed on the server's side (the database refused or went away, the model failed, the job was
/// interrupted until its attempts ran out): 503 with <c>Retry-After</c>. Nothing of a failed document was written, and
/// sending the same file again stores what is missing (what was stored is skipped as unchanged);</item>
/// <item>the job failed because the file or its documents were refused for their content: 413 when over a size limit
/// (bytes, characters, pages, chunks, documents, decompressed size), else 422;</item>
/// <item>otherwise 201 when something was added or replaced (a <c>Location</c> for one document), 200 when everything
/// was already stored; documents of a multi-document file refused for their content are listed in <c>rejected</c>.</item>
/// </list>
/// Problem documents carry <c>reason</c> (the first refusal's), <c>rejected</c>, <c>jobId</c> and, for 503, the
/// <c>documentIds</c> that were stored.
/// </summary>
internal static class IngestResults
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Reasons of failures that are the server's, not the file's.</summary>
    public static bool IsServerError(string? reason) => reason is IngestionRejection.StoreFailed or IngestionRejection.EmbeddingFailed
        or IngestionRejection.StepFailed or "Interrupted";

    public static IResult From(IngestJobInfo job, HttpResponse response)
    {
        ArgumentNullException.ThrowIfNull(job);
        var result = job.ResultJson is { } text ? JsonSerializer.Deserialize<DocumentsApi.IngestResponse>(text, Json) : null;
        var rejected = result?.Rejected ?? [];
        if (job.Status == IngestJobStatus.Failed && IsServerError(job.ErrorReason))
        {
            response.Headers.RetryAfter = Problems.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            return TypedResults.Problem(
                statusCode: StatusCodes.Status503ServiceUnavailable,
                title: "Not stored",
                detail: string.Create(CultureInfo.InvariantCulture,
                    $"{(result is null ? "the upload" : $"{rejected.Count(r => IsServerError(r.Reason))} of {result.Documents} document(s)")} could not be stored ({job.ErrorReason}: {job.ErrorMessage}); nothing of them was written. Send the same upload again in {Problems.RetryAfterSeconds} s: documents already stored are skipped as unchanged"),
                extensions: new Dictionary<string, object?> { ["reason"] = job.ErrorReason, ["jobId"] = job.Id, ["documentIds"] = job.DocumentIds, ["rejected"] = rejected });
        }

        if (job.Status == IngestJobStatus.Failed && job.ErrorReason == QuotaProblems.JobReason)
        {
            return QuotaProblems.FromJob(job.ErrorMessage, job.Id, rejected);
        }

        if (job.Status == IngestJobStatus.Failed)
        {
            var reason = job.ErrorReason ?? "Failed";
            return Refused(reason, rejected.Length > 0 ? string.Join("; ", rejected.Select(r => $"{r.Reason}: {r.Message}")) : $"{reason}: {job.ErrorMessage}",
                rejected, job.Id);
        }

        var body = result ?? new DocumentsApi.IngestResponse(job.DocumentIds.Count, 0, 0, job.DocumentIds.Count, 0, "unchanged", [], []);
        var ids = body.DocumentIds;
        return ids.Length > 0 ? TypedResults.Created(ids.Length == 1 ? $"/v1/documents/{ids[0]}" : "/v1/documents", body) : TypedResults.Ok(body);
    }

    /// <summary>413 for a file or document over a size limit, 422 for one that cannot be read (with the job, when there is one).</summary>
    public static ProblemHttpResult Refused(string reason, string detail, DocumentsApi.RejectionResponse[] rejected, Guid? jobId = null)
    {
        var extensions = new Dictionary<string, object?> { ["reason"] = reason, ["rejected"] = rejected };
        if (jobId is { } id)
        {
            extensions["jobId"] = id;
        }

        return IsTooLarge(reason)
            ? TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Document too large", detail: detail, extensions: extensions)
            : TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: "Document rejected", detail: detail, extensions: extensions);
    }

    private static bool IsTooLarge(string reason) => reason is nameof(DocumentRejectionReason.TooLarge)
        or nameof(DocumentRejectionReason.TooManyCharacters) or nameof(DocumentRejectionReason.TooManyPages)
        or nameof(DocumentRejectionReason.TooManyChunks) or nameof(DocumentRejectionReason.TooManyDocuments)
        or nameof(DocumentRejectionReason.DecompressedTooLarge);
}
