namespace TenantRag.Postgres.Audit;

/// <summary>One broken isolation rule: which, where, why it matters, and the SQL that fixes it.</summary>
public sealed record AuditFinding
{
    /// <summary>Stable rule id, e.g. <c>rls-disabled</c>.</summary>
    public required string Rule { get; init; }

    /// <summary>The object, e.g. <c>tenantrag_shared.public.documents</c>.</summary>
    public required string Object { get; init; }

    /// <summary>What is wrong and why it matters.</summary>
    public required string Message { get; init; }

    /// <summary>SQL that fixes it (run it in the named database).</summary>
    public required string Fix { get; init; }
}
