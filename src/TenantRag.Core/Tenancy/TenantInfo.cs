namespace TenantRag.Tenancy;

/// <summary>A tenant as the catalog knows it.</summary>
public sealed record TenantInfo
{
    /// <summary>The tenant's slug (also its <c>tenant_id</c> in every row).</summary>
    public required TenantSlug Slug { get; init; }

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
}
