namespace TenantRag.Tenancy;

/// <summary>A tenant as the catalog knows it.</summary>
public sealed record TenantInfo
{
    /// <summary>The tenant's name: unique among live tenants, and free again once the tenant is deleted.</summary>
    public required TenantSlug Slug { get; init; }

    /// <summary>
    /// The id of this creation of the tenant, never given to another: every row of its data carries it in
    /// <c>tenant_id</c>, and caches and counters are keyed by it. A tenant created again under a deleted tenant's slug
    /// gets a new id, so nothing the old one left behind is ever its. (Tenants created before ids existed keep their
    /// slug as their id.)
    /// </summary>
    public required string Id { get; init; }

    /// <summary>Shared or dedicated.</summary>
    public required TenancyMode Mode { get; init; }

    /// <summary>The database holding the tenant's rows.</summary>
    public required string Database { get; init; }

    /// <summary>The server (catalog id) holding that database.</summary>
    public required string Server { get; init; }

    /// <summary><c>provisioning</c>, <c>active</c> or <c>deleting</c>.</summary>
    public required string Status { get; init; }

    /// <summary>When the tenant was created.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the tenant last opened a session, if ever recorded.</summary>
    public DateTimeOffset? LastActiveAt { get; init; }

    /// <summary>The tenant's limits (<c>tenantrag tenant set</c>); <see cref="TenantQuotas.None"/> when it has none.</summary>
    public TenantQuotas Quotas { get; init; } = TenantQuotas.None;
}
