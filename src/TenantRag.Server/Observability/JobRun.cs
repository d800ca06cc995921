using System.Diagnostics;
using TenantRag.Rag.Observability;

namespace TenantRag.Server.Observability;

/// <summary>
/// The telemetry of one run of an upload job: a <c>tenantrag.ingest.job</c> span (tenant slug, job id, attempt, outcome)
/// and, when disposed, its duration and outcome counted (see <see cref="ServerTelemetry"/>).
/// </summary>
internal sealed class JobRun : IDisposable
{
    private readonly ServerTelemetry _telemetry;
    private readonly Activity? _activity;
    private readonly long _started = Stopwatch.GetTimestamp();
    private string _outcome = JobOutcome.Interrupted;
    private string? _reason;
    private bool _disposed;

    public JobRun(ServerTelemetry telemetry, Activity? activity)
    {
        _telemetry = telemetry;
        _activity = activity;
    }

    /// <summary>Records how the run ended; <paramref name="reason"/> is a failure's reason name (e.g. <c>TooManyPages</c>).</summary>
    public void End(string outcome, string? reason = null) => (_outcome, _reason) = (outcome, reason);

    /// <summary>Counts the run and ends its span; once.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _telemetry.JobEnded(_outcome, _reason, Stopwatch.GetElapsedTime(_started).TotalSeconds);
        if (_activity is not null)
        {
            _activity.SetTag(ServerTelemetry.OutcomeTag, _outcome).SetTag(ServerTelemetry.ReasonTag, _reason);
            if (_outcome == JobOutcome.Failed)
            {
                _activity.SetStatus(ActivityStatusCode.Error);
            }

            _activity.Dispose();
        }
    }
}
