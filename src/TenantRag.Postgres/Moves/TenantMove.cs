using TenantRag.Tenancy;

namespace TenantRag.Postgres.Moves;

/// <summary>One online move of a tenant as <c>tenantrag.tenant_moves</c> records it (see <c>Catalog/006_tenant_moves.sql</c>).</summary>
public sealed record TenantMove
{
    /// <summary>Its id: 12 characters [a-z0-9]; its replication objects are named <see cref="ObjectName"/>.</summary>
    public required string Id { get; init; }

    /// <summary>The id of the creation of the tenant that moves.</summary>
    public required string TenantId { get; init; }

    /// <summary>The tenant's slug.</summary>
    public required TenantSlug Slug { get; init; }

    /// <summary>Where it comes from.</summary>
    public required TenantPlace From { get; init; }

    /// <summary>Where it goes.</summary>
    public required TenantPlace To { get; init; }

    /// <summary>The step reached: <see cref="MoveSteps"/>.</summary>
    public required string Step { get; init; }

    /// <summary>The name of the move's publication, slot and subscription.</summary>
    public string ObjectName => MoveSteps.ObjectPrefix + Id;
}

/// <summary>Where a tenant's rows live: a server, a database on it, and the model.</summary>
/// <param name="Server">The server's name in the fleet.</param>
/// <param name="Database">The database on it.</param>
/// <param name="Mode">Shared or dedicated.</param>
public sealed record TenantPlace(string Server, string Database, TenancyMode Mode)
{
    /// <inheritdoc />
    public override string ToString() => $"{Mode.ToName()} on {Server} ({Database})";
}
