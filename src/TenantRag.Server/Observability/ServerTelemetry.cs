using System.Diagnostics;
using System.Diagnostics.Metrics;
using TenantRag.Postgres.Jobs;
using TenantRag.Rag.Observability;
using TenantRag.Rag.Retrieval;
using TenantRag.Tenancy;

namespace TenantRag.Server.Observability;

/// <summary>
/// The server's own instruments on the host's <c>TenantRag</c> meter: requests per tenant, upload jobs and the retrieval
/// index cache (the search stages are the search service's). Tags hold tenant slugs, outcomes and reason names only.
/// </summary>
internal sealed class ServerTelemetry
{
    public const string OutcomeTag = "tenantrag.job.outcome";
    public const string ReasonTag = "tenantrag.job.reason";

    // From 50 ms (a small text) to an hour (a large PDF behind other tenants' uploads on a busy server).
    private static readonly InstrumentAdvice<double> JobBuckets = new()
    {
        HistogramBucketBoundaries = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
    };

    private readonly Counter<long> _tenantRequests;
    private readonly Counter<long> _queued;
    private readonly Counter<long> _started;
    private readonly Counter<long> _succeeded;
    private readonly Counter<long> _failed;
    private readonly Histogram<double> _jobDuration;

    /// <summary>Creates the instruments.</summary>
    /// <param name="meters">The host's meter factory.</param>
    /// <param name="cache">The index cache whose counters and size are observed; null when there is none.</param>
    public ServerTelemetry(IMeterFactory meters, RetrievalIndexCache? cache)
    {
        var meter = TenantRagTelemetry.Meter(meters);
        _tenantRequests = meter.CreateCounter<long>("tenantrag.tenant.requests", "{request}", "API requests whose tenant was resolved, by tenant");
        _queued = meter.CreateCounter<long>("tenantrag.jobs.queued", "{job}", "Upload jobs queued");
        _started = meter.CreateCounter<long>("tenantrag.jobs.started", "{job}", "Upload job runs started by this process's workers (a retried job counts again)");
        _succeeded = meter.CreateCounter<long>("tenantrag.jobs.succeeded", "{job}", "Upload jobs that stored their documents");
        _failed = meter.CreateCounter<long>("tenantrag.jobs.failed", "{job}", "Upload jobs that failed for good, by reason");
        _jobDuration = meter.CreateHistogram("tenantrag.job.duration", "s", "Duration of one run of an upload job, by outcome", tags: null, JobBuckets);
        if (cache is not null)
        {
            meter.CreateObservableCounter("tenantrag.index_cache.hits", () => cache.GetStatistics().Hits, "{request}",
                "Retrieval index requests answered from the cache (or by a load another search started)");
            meter.CreateObservableCounter("tenantrag.index_cache.misses", () => cache.GetStatistics().Loads, "{load}",
                "Retrieval indexes loaded from the database (not cached, or stale)");
            meter.CreateObservableGauge("tenantrag.index_cache.size", () => cache.GetStatistics().EstimatedBytes, "By",
                "Bytes of the retrieval indexes held in the cache");
        }
    }

    /// <summary>Counts a request of <paramref name="tenant"/> and names the tenant on the request's span.</summary>
    public void TenantResolved(TenantSlug tenant)
    {
        Activity.Current?.SetTag(TenantRagTelemetry.TenantTag, tenant.Value);
        _tenantRequests.Add(1, new KeyValuePair<string, object?>(TenantRagTelemetry.TenantTag, tenant.Value));
    }

    /// <summary>Counts a queued upload job and names it on the request's span.</summary>
    public void JobQueued(Guid jobId)
    {
        Activity.Current?.SetTag("tenantrag.job.id", jobId);
        _queued.Add(1);
    }

    /// <summary>Starts the telemetry of one run of <paramref name="job"/>; dispose it when the run ends.</summary>
    public JobRun StartJob(IngestJobQueue.ClaimedJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        _started.Add(1);
        // A trace of its own (workers run outside any request): the job runs long after the request that queued it, on a
        // worker of whichever process claimed it.
        var activity = TenantRagTelemetry.ActivitySource.StartActivity("tenantrag.ingest.job");
        activity?.SetTag(TenantRagTelemetry.TenantTag, job.Tenant.Slug.Value).SetTag("tenantrag.job.id", job.Id).SetTag("tenantrag.job.attempt", job.Attempt);
        return new JobRun(this, activity);
    }

    /// <summary>Counts the end of a run (see <see cref="JobRun"/>).</summary>
    internal void JobEnded(string outcome, string? reason, double seconds)
    {
        _jobDuration.Record(seconds, new KeyValuePair<string, object?>(OutcomeTag, outcome));
        if (outcome == JobOutcome.Succeeded)
        {
            _succeeded.Add(1);
        }
        else if (outcome == JobOutcome.Failed)
        {
            _failed.Add(1, new KeyValuePair<string, object?>(ReasonTag, reason));
        }
    }
}
