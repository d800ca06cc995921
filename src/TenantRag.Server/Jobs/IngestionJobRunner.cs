using System.Text.Json;
using Microsoft.Extensions.Logging;
using Npgsql;
using TenantRag.Postgres.Jobs;
using TenantRag.Rag.Ingestion.Pipeline;
using TenantRag.Rag.Retrieval.Search;
using TenantRag.Server.Api;
using TenantRag.Server.Observability;
using TenantRag.Server.Uploads;

namespace TenantRag.Server.Jobs;

/// <summary>
/// Runs one claimed upload job: copies the stored upload to a file of the server's own (in the owner's session), runs
/// the ingestion pipeline as the owner, reports progress (which also renews the lease), and finishes the job:
/// succeeded with its documents (the upload deleted in the same transaction), failed with the reason (a file refused
/// for its content), or queued again after a delay (the server's fault, until the attempts run out). A worker that
/// loses its lease stops at once; a worker that is shutting down gives the job back.
/// </summary>
internal sealed partial class IngestionJobRunner(IngestJobQueue queue, IngestionPipeline pipeline, UploadDirectory uploads, JobOptions options,
    JobCompletions completions, ILogger<IngestionJobRunner> logger, ServerTelemetry telemetry, IndexSnapshots snapshots)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private IngestJobQueue Queue => queue;

    /// <summary>Runs <paramref name="job"/> to its end; never throws (every outcome is written to the job, or left to its lease).</summary>
    public async Task RunAsync(IngestJobQueue.ClaimedJob job, CancellationToken stopping)
    {
        using var run = telemetry.StartJob(job);
        if (job.Attempt > options.MaxAttempts)
        {
            await FinishAsync(run, JobOutcome.Failed, "Interrupted", () => Queue.FailAsync(job, "Interrupted",
                $"the job was taken up {job.Attempt - 1} times and never finished (its worker stopped, or lost the database); upload the file again",
                null, [], CancellationToken.None)).ConfigureAwait(false);
            return;
        }

        using var lost = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var progress = new JobProgress();
        var heartbeat = HeartbeatAsync(job, progress, lost);
        string? path = null;
        try
        {
            IngestionSummary summary;
            await using (var file = uploads.Create(out path))
            {
                await Queue.CopyUploadAsync(job, file, lost.Token).ConfigureAwait(false);
            }

            // A JSON upload (its title given) is text sent without a file: its documents carry no file name.
            var input = IngestionInput.FromFile(path, job.Source) with { FileName = job.FileName, Title = job.Title, IsFile = job.Title is null };
            summary = await pipeline.IngestAsync(new IngestionRequest { Context = job.Context, Inputs = [input], Visibility = job.Visibility }, progress, lost.Token)
                .ConfigureAwait(false);
            progress.Finish();
            await lost.CancelAsync().ConfigureAwait(false);
            await heartbeat.ConfigureAwait(false);
            await FinishAsync(run, job, summary, progress.Current.ChunksTotal).ConfigureAwait(false);
            if (summary.Added + summary.Replaced > 0)
            {
                // The tenant's chunks changed: its index snapshots are rebuilt in the background (debounced per tenant).
                snapshots.RequestRebuild(job.Context);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Shutting down: give the job back for the next worker (here after a restart, or another process).
            await StopHeartbeatAsync(lost, heartbeat).ConfigureAwait(false);
            await FinishAsync(run, JobOutcome.Released, null, () => Queue.ReleaseAsync(job, CancellationToken.None)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (lost.IsCancellationRequested)
        {
            // The lease was lost (another worker holds the job now): nothing more of it is this worker's.
            await StopHeartbeatAsync(lost, heartbeat).ConfigureAwait(false);
            run.End(JobOutcome.Lost);
            Log.Lost(logger, job.Id, job.Attempt);
        }
        catch (TenantNotFoundException)
        {
            // The tenant was deleted meanwhile: its jobs went with it, and nothing of this one was stored.
            await StopHeartbeatAsync(lost, heartbeat).ConfigureAwait(false);
            run.End(JobOutcome.TenantDeleted);
        }
        catch (QuotaExceededException ex)
        {
            // Another upload took the room this one needed (the database checks the tenant's storage quotas in the
            // transaction that stores each document): what was over the quota was rolled back. Failed for good, since
            // trying again would not make room.
            await StopHeartbeatAsync(lost, heartbeat).ConfigureAwait(false);
            await FinishAsync(run, JobOutcome.Failed, QuotaProblems.JobReason, async () => await Queue.FailAsync(job, QuotaProblems.JobReason, ex.Message, null,
                await Queue.DocumentIdsAsync(job, CancellationToken.None).ConfigureAwait(false), CancellationToken.None).ConfigureAwait(false))
                .ConfigureAwait(false);
        }
        catch (Exception ex) when (IsDatabaseAway(ex))
        {
            // The database went away: nothing can be written now. The lease expires and a worker takes the job up again.
            await StopHeartbeatAsync(lost, heartbeat).ConfigureAwait(false);
            Log.DatabaseAway(logger, job.Id, ex.Message);
        }
        catch (Exception ex)
        {
            await StopHeartbeatAsync(lost, heartbeat).ConfigureAwait(false);
            Log.Crashed(logger, ex, job.Id);
            await FinishAsync(run, JobOutcome.Failed, IngestionRejection.StepFailed, () => Queue.FailAsync(job, IngestionRejection.StepFailed,
                $"ingestion failed on the server ({ex.GetType().Name}); upload the file again, and report it if it keeps failing", null, [], CancellationToken.None)).ConfigureAwait(false);
        }
        finally
        {
            if (path is not null)
            {
                File.Delete(path);
            }

            // Counted before anyone waiting for the job hears that it ended.
            run.Dispose();
            completions.Notify(job.Id);
        }
    }

    private static bool IsDatabaseAway(Exception ex) =>
        ex is NpgsqlException { IsTransient: true } or TenantRagException { IsTransient: true }
        || ex is InvalidOperationException { InnerException: NpgsqlException { IsTransient: true } };

    private static async Task StopHeartbeatAsync(CancellationTokenSource lost, Task heartbeat)
    {
        await lost.CancelAsync().ConfigureAwait(false);
        await heartbeat.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    // Writes the outcome; a worker that cannot (the database away, the lease lost) leaves the job to its lease.
    private async Task FinishAsync(JobRun run, string outcome, string? reason, Func<Task<bool>> write)
    {
        try
        {
            if (await write().ConfigureAwait(false))
            {
                run.End(outcome, reason);
            }
            else
            {
                run.End(JobOutcome.Lost);
            }
        }
        catch (Exception ex) when (IsDatabaseAway(ex) || ex is NpgsqlException)
        {
            Log.CouldNotFinish(logger, ex.Message);
        }
    }

    private async Task FinishAsync(JobRun run, IngestJobQueue.ClaimedJob job, IngestionSummary summary, int chunks)
    {
        var ids = await Queue.DocumentIdsAsync(job, CancellationToken.None).ConfigureAwait(false);
        var rejected = summary.Rejected.Select(r => new DocumentsApi.RejectionResponse(r.Source, r.Reason, r.Message)).ToArray();
        var outcome = summary.Added > 0 ? "added" : summary.Replaced > 0 ? "replaced" : "unchanged";
        // The answer a synchronous upload would have had (what this attempt added or replaced); the job lists every
        // document of the upload, unchanged ones and those an interrupted attempt stored included.
        var result = JsonSerializer.Serialize(new DocumentsApi.IngestResponse(summary.Documents, summary.Added, summary.Replaced, summary.Unchanged, summary.Chunks,
            outcome, [.. summary.Stored.Select(d => d.Id)], rejected), Json);
        if (summary.HasServerErrors)
        {
            var failed = summary.Rejected.First(r => r.IsServerError);
            if (job.Attempt < options.MaxAttempts)
            {
                Log.Retrying(logger, job.Id, failed.Reason, options.RetryDelaySeconds);
                await FinishAsync(run, JobOutcome.Retried, failed.Reason, () => Queue.RetryAsync(job, TimeSpan.FromSeconds(options.RetryDelaySeconds), failed.Reason, failed.Message, CancellationToken.None))
                    .ConfigureAwait(false);
                return;
            }

            await FinishAsync(run, JobOutcome.Failed, failed.Reason, () => Queue.FailAsync(job, failed.Reason, $"{failed.Message} (after {job.Attempt} attempts)", result, ids, CancellationToken.None))
                .ConfigureAwait(false);
            return;
        }

        if (rejected.Length > 0 && summary.Added + summary.Replaced + summary.Unchanged == 0)
        {
            await FinishAsync(run, JobOutcome.Failed, rejected[0].Reason, () => Queue.FailAsync(job, rejected[0].Reason, string.Join("; ", rejected.Select(r => r.Message)), result, ids, CancellationToken.None))
                .ConfigureAwait(false);
            return;
        }

        await FinishAsync(run, JobOutcome.Succeeded, null, () => Queue.CompleteAsync(job, ids, result, chunks, CancellationToken.None)).ConfigureAwait(false);
    }

    // Renews the lease with the latest progress: every third of the lease, and soon after the progress changes (at most
    // twice a second). Losing the job (another worker took it, or it is gone) cancels the run.
    private async Task HeartbeatAsync(IngestJobQueue.ClaimedJob job, JobProgress progress, CancellationTokenSource lost)
    {
        var renewEvery = TimeSpan.FromTicks(options.Lease.Ticks / 3);
        var lastRenewed = DateTime.UtcNow;
        JobProgress.Snapshot? reported = null;
        while (!lost.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), lost.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            var now = progress.Current;
            if (now == reported && DateTime.UtcNow - lastRenewed < renewEvery)
            {
                continue;
            }

            try
            {
                if (!await Queue.ReportAsync(job, now.Stage, now.ChunksDone, now.ChunksTotal, options.Lease, lost.Token).ConfigureAwait(false))
                {
                    await lost.CancelAsync().ConfigureAwait(false);
                    return;
                }

                (reported, lastRenewed) = (now, DateTime.UtcNow);
            }
            catch (OperationCanceledException) when (lost.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (IsDatabaseAway(ex) || ex is NpgsqlException)
            {
                // Missed one renewal; the next try may get through before the lease runs out.
                Log.HeartbeatFailed(logger, job.Id, ex.Message);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1401, Level = LogLevel.Warning, Message = "Job {JobId} attempt {Attempt} lost its lease: another worker holds it now")]
        public static partial void Lost(ILogger logger, Guid jobId, int attempt);

        [LoggerMessage(EventId = 1402, Level = LogLevel.Warning, Message = "Job {JobId} stopped: the database is away ({Reason}); it is taken up again when its lease expires")]
        public static partial void DatabaseAway(ILogger logger, Guid jobId, string reason);

        [LoggerMessage(EventId = 1403, Level = LogLevel.Error, Message = "Job {JobId} failed on the server")]
        public static partial void Crashed(ILogger logger, Exception exception, Guid jobId);

        [LoggerMessage(EventId = 1404, Level = LogLevel.Warning, Message = "Could not record a job's outcome ({Reason}); its lease will expire")]
        public static partial void CouldNotFinish(ILogger logger, string reason);

        [LoggerMessage(EventId = 1405, Level = LogLevel.Information, Message = "Job {JobId} failed on the server's side ({Reason}); trying again in {Seconds} s")]
        public static partial void Retrying(ILogger logger, Guid jobId, string reason, int seconds);

        [LoggerMessage(EventId = 1406, Level = LogLevel.Warning, Message = "Job {JobId}: could not renew its lease ({Reason})")]
        public static partial void HeartbeatFailed(ILogger logger, Guid jobId, string reason);
    }
}
