namespace TenantRag.Retrieval;

/// <summary>
/// A tenant's in-process indexes (vectors and full-text terms) are cached in two kinds of partition, each loaded through a session that row-level security
/// lets see it: the tenant-wide chunks (shared by every user of the tenant) and each user's own private chunks.
/// </summary>
public enum IndexPartition
{
    /// <summary>Chunks of documents every user of the tenant may see.</summary>
    Tenant,

    /// <summary>The session user's own private chunks.</summary>
    OwnPrivate,
}
