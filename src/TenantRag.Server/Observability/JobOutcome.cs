namespace TenantRag.Server.Observability;

/// <summary>How one run of an upload job ended, as the <c>tenantrag.job.outcome</c> tag says it.</summary>
internal static class JobOutcome
{
    /// <summary>Its documents are stored.</summary>
    public const string Succeeded = "succeeded";

    /// <summary>Failed for good (the file refused, or the attempts used up).</summary>
    public const string Failed = "failed";

    /// <summary>Failed on the server's side and queued again for a later attempt.</summary>
    public const string Retried = "retried";

    /// <summary>Given back because the server is shutting down.</summary>
    public const string Released = "released";

    /// <summary>Its lease ran out and another worker holds it.</summary>
    public const string Lost = "lost";

    /// <summary>Its tenant was deleted meanwhile.</summary>
    public const string TenantDeleted = "tenant_deleted";

    /// <summary>Stopped without an outcome written (the database away): taken up again when its lease expires.</summary>
    public const string Interrupted = "interrupted";
}
