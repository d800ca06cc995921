using TenantRag.Tenancy;

namespace TenantRag.Postgres.Drills;

/// <summary>Who a model's drills run as, and whose rows they try to reach.</summary>
public sealed record DrillSubject
{
    /// <summary>The tenant the drills run in.</summary>
    public required TenantInfo Tenant { get; init; }

    /// <summary>The user the drills run as.</summary>
    public required UserId User { get; init; }

    /// <summary>Another user of the same tenant.</summary>
    public required UserId OtherUser { get; init; }

    /// <summary>A private document of <see cref="OtherUser"/>, which <see cref="User"/> must not reach.</summary>
    public required Guid OtherUsersPrivateDocument { get; init; }

    /// <summary>Another tenant, whose rows must stay out of reach (in the same database for the shared model).</summary>
    public required TenantInfo ForeignTenant { get; init; }
}
