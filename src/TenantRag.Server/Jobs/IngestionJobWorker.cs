using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TenantRag.Postgres.Jobs;

namespace TenantRag.Server.Jobs;

/// <summary>
/// This process's upload-job workers: up to <see cref="JobOptions.Workers"/> jobs at once, claimed from the tenants
/// the catalog flags, round-robin between tenants (the tenant served longest ago first, one job per tenant per round,
/// at most <see cref="JobOptions.WorkersPerTenant"/> of a tenant's at once), so one tenant's thousand files do not
/// hold up another tenant's one. One slot more is kept for a tenant with no job
/// running here: its single file starts at once instead of waiting for another tenant's running jobs to end. Every
/// serving process runs one; they share the work through the claims' row locks. It also clears the flags of tenants with nothing left to do and, every
/// <see cref="JobOptions.SweepMinutes"/>, deletes what the retention periods let go.
/// </summary>
internal sealed partial class IngestionJobWorker(IngestJobQueue queue, IngestionJobRunner runner, JobSignal signal, JobOptions options,
    ILogger<IngestionJobWorker> logger) : BackgroundService
{
    // How long a flag must stand before an empty queue may clear it: longer than the moment between an upload's
    // first flag and its commit (see IngestJobStore.CreateAsync).
    private static readonly TimeSpan FlagGrace = TimeSpan.FromSeconds(30);

    private readonly string _workerId = string.Create(CultureInfo.InvariantCulture, $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}");
    private readonly Dictionary<string, long> _lastServed = new(StringComparer.Ordinal);

    /// <summary>This worker's name in the jobs it claims (<c>lease_owner</c>).</summary>
    public string WorkerId => _workerId;

    private IngestJobQueue Queue => queue;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Workers == 0)
        {
            return;
        }

        var running = new List<(string Tenant, Task Job)>();
        var nextSweep = DateTime.UtcNow;
        var failures = 0;
        Task? signalled = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            running.RemoveAll(r => r.Job.IsCompleted);
            try
            {
                if (DateTime.UtcNow >= nextSweep)
                {
                    var (uploads, jobs) = await Queue.SweepAsync(TimeSpan.FromHours(options.FailedUploadRetentionHours), TimeSpan.FromDays(options.RetentionDays), stoppingToken)
                        .ConfigureAwait(false);
                    Log.Swept(logger, uploads, jobs);
                    nextSweep = DateTime.UtcNow.AddMinutes(options.SweepMinutes);
                }

                if (running.Count <= options.Workers)
                {
                    await ClaimAsync(running, stoppingToken).ConfigureAwait(false);
                }

                failures = 0;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // The database away, most likely: keep trying, less and less often (up to half a minute).
                failures++;
                Log.LoopFailed(logger, ex.Message);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(30_000, options.PollMilliseconds * Math.Pow(2, Math.Min(failures, 8)))), stoppingToken)
                    .ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                continue;
            }

            // Until a job ends (which frees a slot, also one a tenant at its own limit waits for), an upload arrives here,
            // or the next poll. One wait for the signal stands until it completes: a new one each time round would leave
            // the old one waiting, and it would swallow the next upload's signal.
            if (signalled is null || signalled.IsCompleted)
            {
                signalled = signal.WaitAsync(TimeSpan.FromMilliseconds(options.PollMilliseconds), stoppingToken);
            }

            var wake = new List<Task> { signalled };
            wake.AddRange(running.Select(r => r.Job));

            await ((Task)Task.WhenAny(wake)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        await Task.WhenAll(running.Select(r => r.Job)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    // One round: each flagged tenant, the one served longest ago first, gets at most one job while slots are free.
    private async Task ClaimAsync(List<(string Tenant, Task Job)> running, CancellationToken stoppingToken)
    {
        var flagged = await Queue.FlaggedTenantsAsync(stoppingToken).ConfigureAwait(false);
        foreach (var tenant in flagged.OrderBy(f => _lastServed.GetValueOrDefault(f.Tenant.Id, long.MinValue)).ThenBy(f => f.RequestedAt))
        {
            if (!HasSlot(running, tenant.Tenant.Id, options.Workers, options.WorkersPerTenant))
            {
                if (running.Count > options.Workers)
                {
                    return;
                }

                continue;
            }

            var job = await Queue.TryClaimAsync(tenant.Tenant, _workerId, options.Lease, stoppingToken).ConfigureAwait(false);
            if (job is not null)
            {
                _lastServed[tenant.Tenant.Id] = Environment.TickCount64;
                running.Add((tenant.Tenant.Id, Task.Run(() => runner.RunAsync(job, stoppingToken), CancellationToken.None)));
            }
            else if (!await Queue.HasUnfinishedAsync(tenant.Tenant, stoppingToken).ConfigureAwait(false))
            {
                await Queue.ClearFlagAsync(tenant.Tenant, tenant.RequestedAt, FlagGrace, stoppingToken).ConfigureAwait(false);
                _lastServed.Remove(tenant.Tenant.Id);
            }
        }
    }

    /// <summary>
    /// Whether <paramref name="tenant"/> may start a job beside the <paramref name="running"/> ones: while it runs fewer
    /// than <paramref name="perTenant"/>, and fewer than <paramref name="workers"/> run in all, or in the one slot
    /// beyond them when none of its own runs.
    /// </summary>
    internal static bool HasSlot(IReadOnlyCollection<(string Tenant, Task Job)> running, string tenant, int workers, int perTenant)
    {
        var own = running.Count(r => string.Equals(r.Tenant, tenant, StringComparison.Ordinal));
        return own < perTenant && (running.Count < workers || (running.Count == workers && own == 0));
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1411, Level = LogLevel.Warning, Message = "Upload-job workers: {Reason}; trying again")]
        public static partial void LoopFailed(ILogger logger, string reason);

        [LoggerMessage(EventId = 1412, Level = LogLevel.Debug, Message = "Retention sweep: deleted {Uploads} failed jobs' uploads and {Jobs} old jobs")]
        public static partial void Swept(ILogger logger, long uploads, long jobs);
    }
}
