using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;
using TenantRag.Documents;
using TenantRag.Jobs;
using TenantRag.Postgres.Jobs;
using TenantRag.Server.Jobs;
using TenantRag.Server.Tenancy;
using TenantRag.Tenancy;

namespace TenantRag.Server.Api;

/// <summary>
/// <c>/v1/jobs</c>: uploads as jobs, visible like the documents they make (the caller's own, and its tenant's
/// tenant-wide ones by id; another tenant's or a colleague's private job answers 404 like a missing one).
/// </summary>
internal static class JobsApi
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan LongestStream = TimeSpan.FromMinutes(10);

    public sealed record JobError(string Reason, string Message);

    public sealed record JobResponse(Guid Id, string Status, string Stage, int ChunksDone, int ChunksTotal, Guid[] DocumentIds, JobError? Error,
        string FileName, string? Title, string MediaType, long ByteSize, string Visibility, string Owner, int Attempt,
        DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset UpdatedAt, DateTimeOffset? FinishedAt);

    public sealed record JobListResponse(JobResponse[] Jobs, string? Next);

    public static RouteGroupBuilder MapJobsApi(this RouteGroupBuilder v1)
    {
        var group = v1.MapGroup("/jobs").WithTags("Jobs");
        group.MapGet("/", ListAsync)
            .WithSummary("The caller's upload jobs, newest first")
            .WithDescription("Pages of at most `limit` (1-200, default 20) jobs; pass the `next` of a page as `cursor` for the following one.");
        group.MapGet("/{id:guid}", GetAsync).WithSummary("One upload job: its status, stage, progress in chunks, documents or error");
        group.MapGet("/{id:guid}/events", EventsAsync)
            .WithSummary("The job's progress as server-sent events")
            .WithDescription("An event `progress` (the job) whenever its status, stage or chunk counts change, then `done` (the finished job); the stream ends then, or after 10 minutes.")
            .Produces<JobResponse>(StatusCodes.Status200OK, "text/event-stream");
        return group;
    }

    internal static JobResponse ToResponse(IngestJobInfo job) => new(
        job.Id, job.Status.ToName(), job.Stage, job.ChunksDone, job.ChunksTotal, [.. job.DocumentIds],
        job.Status == IngestJobStatus.Failed ? new JobError(job.ErrorReason ?? "Failed", job.ErrorMessage ?? "the job failed") : null,
        job.FileName, job.Title, job.MediaType, job.ByteSize, job.Visibility.ToName(), job.OwnerId, job.Attempt, job.CreatedAt, job.StartedAt, job.UpdatedAt, job.FinishedAt);

    /// <summary>
    /// Looks at the job (through the caller's session) until it finishes or <paramref name="timeout"/> passes: again as
    /// soon as a worker of this process is done with it, else every quarter of a second.
    /// </summary>
    internal static async Task<IngestJobInfo?> WaitAsync(IngestJobStore jobs, JobCompletions completions, TenantContext context, Guid id, TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var notified = completions.WaitAsync(id, PollInterval, cancellationToken);
            var job = await jobs.GetAsync(context, id, cancellationToken).ConfigureAwait(false);
            if (job is null || job.Status.IsFinished() || DateTime.UtcNow >= deadline)
            {
                return job;
            }

            await notified.ConfigureAwait(false);
        }
    }

    private static async Task<Ok<JobListResponse>> ListAsync(HttpContext http, IngestJobStore jobs, int? limit, string? cursor)
    {
        var (page, next) = await jobs.ListAsync(http.Tenant(), limit ?? 20, cursor, http.RequestAborted).ConfigureAwait(false);
        return TypedResults.Ok(new JobListResponse([.. page.Select(ToResponse)], next));
    }

    private static async Task<Results<Ok<JobResponse>, NotFound>> GetAsync(Guid id, HttpContext http, IngestJobStore jobs) =>
        await jobs.GetAsync(http.Tenant(), id, http.RequestAborted).ConfigureAwait(false) is { } job
            ? TypedResults.Ok(ToResponse(job))
            : TypedResults.NotFound();

    private static async Task<IResult> EventsAsync(Guid id, HttpContext http, IngestJobStore jobs)
    {
        var context = http.Tenant();
        if (await jobs.GetAsync(context, id, http.RequestAborted).ConfigureAwait(false) is not { } first)
        {
            return TypedResults.NotFound();
        }

        http.Response.Headers[HeaderNames.CacheControl] = "no-cache";
        return TypedResults.ServerSentEvents(StreamAsync(jobs, context, first, http.RequestAborted));
    }

    private static async IAsyncEnumerable<SseItem<JobResponse>> StreamAsync(IngestJobStore jobs, TenantContext context, IngestJobInfo job,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var until = DateTime.UtcNow + LongestStream;
        (string Status, string Stage, int Done, int Total)? sent = null;
        while (true)
        {
            var now = (job.Status.ToName(), job.Stage, job.ChunksDone, job.ChunksTotal);
            if (job.Status.IsFinished())
            {
                yield return new SseItem<JobResponse>(ToResponse(job), "done");
                yield break;
            }

            if (sent != now)
            {
                yield return new SseItem<JobResponse>(ToResponse(job), "progress");
                sent = now;
            }

            if (DateTime.UtcNow >= until)
            {
                yield break;
            }

            await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
            if (await jobs.GetAsync(context, job.Id, cancellationToken).ConfigureAwait(false) is not { } next)
            {
                yield break; // gone with its tenant
            }

            job = next;
        }
    }
}
