using TenantRag.Postgres.Pooler;

namespace TenantRag.Postgres.Fleet;

/// <summary>What <c>tenantrag server set</c> changes on a server of the fleet: its capacity, its pooler, or both.</summary>
public sealed record ServerChange
{
    /// <summary>Whether the capacity changes (to <see cref="Capacity"/>).</summary>
    public bool ChangesCapacity { get; init; }

    /// <summary>The new capacity in tenants; null for no limit.</summary>
    public int? Capacity { get; init; }

    /// <summary>Whether the pooler changes (to <see cref="Pooler"/>).</summary>
    public bool ChangesPooler { get; init; }

    /// <summary>The new pooler; null for none (the serving role then reaches the shared database directly).</summary>
    public PoolerEndpoint? Pooler { get; init; }
}
