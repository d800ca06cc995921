namespace TenantRag.Postgres.Audit;

/// <summary>How much an <see cref="AuditFinding"/> weighs: <c>tenantrag audit</c> exits 1 on an error, not on a warning.</summary>
public enum AuditSeverity
{
    /// <summary>Isolation is broken, or something of TenantRag's is wrong or left behind.</summary>
    Error,

    /// <summary>Something that is not TenantRag's but can hurt it (an inactive replication slot holding WAL).</summary>
    Warning,
}
