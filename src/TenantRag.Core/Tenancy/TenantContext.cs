namespace TenantRag.Tenancy;

/// <summary>
/// Who is asking: the tenant and the user inside it, resolved once at the edge (a verified JWT, or
/// <c>--tenant</c>/<c>--user</c> on the command line). Every path to tenant data takes one; none makes one up.
/// </summary>
public sealed record TenantContext
{
    /// <summary>The tenant whose rows may be seen.</summary>
    public required TenantSlug Tenant { get; init; }

    /// <summary>The user inside the tenant; policies read it through <c>auth.user_id()</c>.</summary>
    public required UserId User { get; init; }

    /// <summary>Scopes granted to the caller (from the JWT <c>scope</c> claim), informational for policies.</summary>
    public IReadOnlyList<string> Scopes { get; init; } = [];

    /// <summary>
    /// The id of the tenant's creation (<see cref="TenantInfo.Id"/>) this work is bound to, once resolved at the edge;
    /// null to take whichever tenant holds <see cref="Tenant"/> when each session opens. Once set, sessions open only
    /// while that same creation of the tenant is live: work that began before the tenant was deleted never reaches a
    /// tenant created again under the same slug.
    /// </summary>
    public string? TenantId { get; init; }

    /// <summary>Builds a context from validated parts.</summary>
    public static TenantContext For(TenantSlug tenant, UserId user) => new() { Tenant = tenant, User = user };

    /// <summary>Builds a context from raw text, validating both parts.</summary>
    public static TenantContext For(string tenant, string user) => For(TenantSlug.Parse(tenant), UserId.Parse(user));

    /// <inheritdoc />
    public override string ToString() => $"{Tenant}/{User}";
}
