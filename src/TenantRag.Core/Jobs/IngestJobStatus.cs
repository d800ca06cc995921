namespace TenantRag.Jobs;

/// <summary>Where an upload job is in its life: waiting, being worked on, or finished one way or the other.</summary>
public enum IngestJobStatus
{
    /// <summary>Stored and waiting for a worker.</summary>
    Queued = 0,

    /// <summary>A worker holds it (under a lease it renews).</summary>
    Running = 1,

    /// <summary>Its documents are stored (or were already, unchanged); the raw upload is gone.</summary>
    Succeeded = 2,

    /// <summary>It will not be retried; <see cref="IngestJobInfo.ErrorReason"/> says why.</summary>
    Failed = 3,
}

/// <summary>The names of <see cref="IngestJobStatus"/> as stored and as the API shows them.</summary>
public static class IngestJobStatuses
{
    /// <summary>The lower-case name.</summary>
    public static string ToName(this IngestJobStatus status) => status switch
    {
        IngestJobStatus.Queued => "queued",
        IngestJobStatus.Running => "running",
        IngestJobStatus.Succeeded => "succeeded",
        IngestJobStatus.Failed => "failed",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "unknown job status"),
    };

    /// <summary>Parses a stored status.</summary>
    public static IngestJobStatus Parse(string name) => name switch
    {
        "queued" => IngestJobStatus.Queued,
        "running" => IngestJobStatus.Running,
        "succeeded" => IngestJobStatus.Succeeded,
        "failed" => IngestJobStatus.Failed,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "unknown job status"),
    };

    /// <summary>True for <see cref="IngestJobStatus.Succeeded"/> and <see cref="IngestJobStatus.Failed"/>.</summary>
    public static bool IsFinished(this IngestJobStatus status) => status is IngestJobStatus.Succeeded or IngestJobStatus.Failed;
}
