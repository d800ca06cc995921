namespace TenantRag.Server.Jobs;

/// <summary>How this process works on upload jobs (configuration section <c>Jobs</c>).</summary>
public sealed class JobOptions
{
    /// <summary>Jobs this process works on at once; 0 makes it accept uploads and leave the work to other processes.</summary>
    public int Workers { get; set; } = 2;

    /// <summary>
    /// Jobs of one tenant this process works on at once (default 1): a tenant's bulk upload then leaves the other
    /// workers to other tenants, and one job already embeds on every core while searches are quiet.
    /// </summary>
    public int WorkersPerTenant { get; set; } = 1;

    /// <summary>How long a claimed job is this process's without a sign of life; a dead worker's job is taken up again after it.</summary>
    public int LeaseSeconds { get; set; } = 30;

    /// <summary>Claims of one job before it fails for good (a worker that dies or loses the database uses one up).</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>How often the workers look for tenants with jobs (an upload to this process wakes them at once).</summary>
    public int PollMilliseconds { get; set; } = 1000;

    /// <summary>Seconds before a job that failed on the server's side (the database away, the model failing) is tried again.</summary>
    public int RetryDelaySeconds { get; set; } = 5;

    /// <summary>Hours the upload of a failed job is kept (to look into it) before it is deleted.</summary>
    public int FailedUploadRetentionHours { get; set; } = 168;

    /// <summary>Days a finished job stays listed before it is deleted.</summary>
    public int RetentionDays { get; set; } = 30;

    /// <summary>Minutes between sweeps that delete what the retention periods let go.</summary>
    public int SweepMinutes { get; set; } = 360;

    /// <summary>The lease.</summary>
    public TimeSpan Lease => TimeSpan.FromSeconds(LeaseSeconds);

    /// <summary>Rejects settings no worker could run with, naming the key.</summary>
    /// <exception cref="UsageException">A setting is out of range.</exception>
    public void Validate()
    {
        foreach (var (key, value, min, max) in new (string, int, int, int)[]
        {
            ("Jobs:Workers", Workers, 0, 64), ("Jobs:WorkersPerTenant", WorkersPerTenant, 1, 64), ("Jobs:LeaseSeconds", LeaseSeconds, 2, 3600), ("Jobs:MaxAttempts", MaxAttempts, 1, 100),
            ("Jobs:PollMilliseconds", PollMilliseconds, 50, 60_000), ("Jobs:RetryDelaySeconds", RetryDelaySeconds, 0, 3600),
            ("Jobs:FailedUploadRetentionHours", FailedUploadRetentionHours, 1, 24 * 365), ("Jobs:RetentionDays", RetentionDays, 1, 3650),
            ("Jobs:SweepMinutes", SweepMinutes, 1, 24 * 60),
        })
        {
            if (value < min || value > max)
            {
                throw new UsageException($"setting {key} is {value}: give {min} to {max}");
            }
        }
    }
}
