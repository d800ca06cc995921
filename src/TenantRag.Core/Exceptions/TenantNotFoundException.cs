using TenantRag.Tenancy;

namespace TenantRag;

/// <summary>No active tenant with that slug exists.</summary>
public sealed class TenantNotFoundException(TenantSlug slug)
    : TenantRagException($"tenant '{slug}' does not exist: see 'tenantrag tenant list', or create it with 'tenantrag tenant create {slug} --mode shared'")
{
    /// <summary>The missing tenant.</summary>
    public TenantSlug Slug { get; } = slug;
}
