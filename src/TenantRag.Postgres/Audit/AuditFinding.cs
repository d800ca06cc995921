namespace TenantRag.Postgres.Audit;

/// <summary>One broken isolation rule: which, where, why it matters, and the SQL that fixes it.</summary>
public sealed record AuditFinding
{
    /// <summary>Stable rule id, e.g. <c>rls-disabled</c>.</summary>
    public required string Rule { get; init; }

    /// <summary>The server of the fleet it was found on: <c>primary</c> (the one holding the catalog) or a name of <c>tenantrag server list</c>.</summary>
    public string Server { get; init; } = Fleet.ServerName.Primary;

    /// <summary>An error (exit 1), or a warning about something that is not TenantRag's.</summary>
    public AuditSeverity Severity { get; init; } = AuditSeverity.Error;

    /// <summary>The object, e.g. <c>tenantrag_shared.public.documents</c>.</summary>
    public required string Object { get; init; }

    /// <summary>What is wrong and why it matters.</summary>
    public required string Message { get; init; }

    /// <summary>SQL that fixes it (run it in the named database, on <see cref="Server"/>).</summary>
    public required string Fix { get; init; }
}
