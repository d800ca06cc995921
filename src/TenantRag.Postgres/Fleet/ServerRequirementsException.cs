namespace TenantRag.Postgres.Fleet;

/// <summary>A server lacks what the features need (<c>tenantrag server add</c>); nothing was changed. Exit code 1.</summary>
public sealed class ServerRequirementsException(string server, IReadOnlyList<string> missing)
    : TenantRagException($"server '{server}' cannot join the fleet: {missing.Count} requirement{(missing.Count == 1 ? " is" : "s are")} missing (each named above); nothing changed")
{
    /// <summary>Each missing item with the SQL or setting that grants it, one line each.</summary>
    public IReadOnlyList<string> Missing { get; } = missing;
}
