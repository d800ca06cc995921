namespace TenantRag.Tenancy;

/// <summary>What deleting a tenant removed.</summary>
public sealed record TenantDeletion
{
    /// <summary>The deleted tenant.</summary>
    public required TenantInfo Tenant { get; init; }

    /// <summary>Documents removed.</summary>
    public required long Documents { get; init; }

    /// <summary>Chunks removed.</summary>
    public required long Chunks { get; init; }

    /// <summary>The dropped database (dedicated), else null.</summary>
    public string? DroppedDatabase { get; init; }

    /// <summary>The dropped login role (dedicated), else null.</summary>
    public string? DroppedRole { get; init; }
}
