using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using TenantRag.Tenancy;

namespace TenantRag.Server;

/// <summary>
/// The problem documents of work refused for a tenant's quota (<see cref="QuotaExceededException"/>): a storage quota
/// (documents, bytes) is 413 of type <see cref="StorageType"/>, a rate quota (queries per day, concurrent uploads) 429 of
/// type <see cref="RateType"/> with <c>Retry-After</c>. Each names the quota (<c>quota</c>), its value (<c>limit</c>),
/// what the tenant has used (<c>used</c>), what the refused work would have added (<c>requested</c>) and when it resets
/// (<c>resetsAt</c>: the next UTC midnight for queries per day; null for the others, which free as documents are
/// deleted or uploads finish), and <c>detail</c> says it in the same words as the command line.
/// </summary>
internal static partial class QuotaProblems
{
    /// <summary>The problem type of a storage quota (413).</summary>
    public const string StorageType = "urn:tenantrag:problem:storage-quota-exceeded";

    /// <summary>The problem type of a rate quota (429).</summary>
    public const string RateType = "urn:tenantrag:problem:rate-quota-exceeded";

    /// <summary>The job error reason of an upload refused for a storage quota while it was stored.</summary>
    public const string JobReason = "QuotaExceeded";

    /// <summary>Writes the problem for <paramref name="ex"/> (and <c>Retry-After</c> for a rate quota).</summary>
    public static Task WriteAsync(HttpContext http, QuotaExceededException ex)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(ex);
        if (http.Response.HasStarted)
        {
            return Task.CompletedTask;
        }

        var storage = ex.Quota.IsStorage();
        var status = storage ? StatusCodes.Status413PayloadTooLarge : StatusCodes.Status429TooManyRequests;
        if (ex.RetryAfter(DateTimeOffset.UtcNow) is { } wait)
        {
            http.Response.Headers.RetryAfter = Math.Max(1, (long)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        http.Response.StatusCode = status;
        var problem = new ProblemDetails
        {
            Type = storage ? StorageType : RateType,
            Title = storage ? "Storage quota exceeded" : "Rate quota exceeded",
            Status = status,
            Detail = ex.Message,
            Instance = http.Request.Path,
            Extensions =
            {
                ["quota"] = ex.Quota.ToName(),
                ["limit"] = ex.Limit,
                ["used"] = ex.Used,
                ["requested"] = ex.Requested,
                ["resetsAt"] = ex.ResetsAt,
            },
        };
        return http.Response.WriteAsJsonAsync(problem, (System.Text.Json.JsonSerializerOptions?)null, "application/problem+json");
    }

    /// <summary>
    /// The answer to an upload whose job failed for a storage quota while its document was stored (another upload took
    /// the room first): 413 with the job's words, the quota they name and the job.
    /// </summary>
    public static ProblemHttpResult FromJob(string? message, Guid jobId, object rejected)
    {
        var quota = message is null ? null : QuotaName().Match(message) is { Success: true } match ? match.Groups[1].Value : null;
        return TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Storage quota exceeded", type: StorageType, detail: message,
            extensions: new Dictionary<string, object?> { ["reason"] = JobReason, ["quota"] = quota, ["resetsAt"] = null, ["jobId"] = jobId, ["rejected"] = rejected });
    }

    [GeneratedRegex("its quota (max-[a-z-]+) of", RegexOptions.CultureInvariant)]
    private static partial Regex QuotaName();
}
