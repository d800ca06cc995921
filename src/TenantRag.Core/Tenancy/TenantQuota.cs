namespace TenantRag.Tenancy;

/// <summary>
/// A per-tenant limit kept in the catalog (<c>tenantrag tenant set</c>). Storage quotas bound what a tenant keeps (its
/// documents and their bytes) and free up only as documents are deleted; rate quotas bound work over time (queries in
/// a UTC day) or at once (uploads in progress).
/// </summary>
public enum TenantQuota
{
    /// <summary>Documents stored (a <c>.jsonl</c> file makes one per line). Storage.</summary>
    MaxDocuments,

    /// <summary>Bytes stored: the sum of the documents' sizes (the file as read, or a <c>.jsonl</c> line). Storage.</summary>
    MaxBytes,

    /// <summary>Searches and questions in one UTC day. Rate: resets at the next UTC midnight.</summary>
    MaxQueriesPerDay,

    /// <summary>Upload jobs queued or running at once. Rate: frees as soon as one of them finishes.</summary>
    MaxConcurrentUploads,
}

/// <summary>The names of <see cref="TenantQuota"/> on the command line, in problem documents and in the catalog.</summary>
public static class TenantQuotaNames
{
    /// <summary>Every quota, in the order they are shown.</summary>
    public static IReadOnlyList<TenantQuota> All { get; } = [TenantQuota.MaxDocuments, TenantQuota.MaxBytes, TenantQuota.MaxQueriesPerDay, TenantQuota.MaxConcurrentUploads];

    /// <summary>The name shown to people and programs: <c>max-documents</c>, <c>max-bytes</c>, <c>max-queries-per-day</c>, <c>max-concurrent-uploads</c> (the option of <c>tenant set</c> without its dashes).</summary>
    public static string ToName(this TenantQuota quota) => quota switch
    {
        TenantQuota.MaxDocuments => "max-documents",
        TenantQuota.MaxBytes => "max-bytes",
        TenantQuota.MaxQueriesPerDay => "max-queries-per-day",
        TenantQuota.MaxConcurrentUploads => "max-concurrent-uploads",
        _ => throw new ArgumentOutOfRangeException(nameof(quota), quota, "unknown quota"),
    };

    /// <summary>The key in the catalog's <c>tenants.quotas</c> object (and in the sessions' <c>tenantrag.quotas</c> setting).</summary>
    public static string ToKey(this TenantQuota quota) => quota.ToName().Replace('-', '_');

    /// <summary>What the quota counts, plural: documents, bytes, queries, uploads.</summary>
    public static string Unit(this TenantQuota quota) => quota switch
    {
        TenantQuota.MaxDocuments => "documents",
        TenantQuota.MaxBytes => "bytes",
        TenantQuota.MaxQueriesPerDay => "queries",
        _ => "uploads",
    };

    /// <summary>True for the storage quotas (documents, bytes: 413 over HTTP), false for the rate quotas (429).</summary>
    public static bool IsStorage(this TenantQuota quota) => quota is TenantQuota.MaxDocuments or TenantQuota.MaxBytes;

    /// <summary>The quota whose catalog key is <paramref name="key"/>, if any.</summary>
    public static TenantQuota? FromKey(string key) => All.Cast<TenantQuota?>().FirstOrDefault(q => q!.Value.ToKey() == key);
}
