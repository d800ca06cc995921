using TenantRag.Documents;
using TenantRag.Tenancy;

namespace TenantRag.Postgres.Usage;

/// <summary>One tenant's metered days, as the operator sees them (<c>tenantrag usage</c>, <c>GET /admin/v1/usage</c>).</summary>
public sealed record TenantUsageReport
{
    /// <summary>The tenant.</summary>
    public required TenantSlug Tenant { get; init; }

    /// <summary>Its model.</summary>
    public required TenancyMode Mode { get; init; }

    /// <summary>The server of the fleet it lives on.</summary>
    public required string Server { get; init; }

    /// <summary>Its metered days from the first day asked for, oldest first.</summary>
    public required IReadOnlyList<UsageDay> Days { get; init; }
}
