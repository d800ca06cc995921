namespace TenantRag;

/// <summary>
/// No server of the fleet has room for a new tenant: every active server holds its capacity (or more). Nothing was
/// created; an operator adds a server or raises a capacity (<c>tenantrag server add|set</c>). Exit code 1.
/// </summary>
public sealed class FleetFullException(string message) : TenantRagException(message);
