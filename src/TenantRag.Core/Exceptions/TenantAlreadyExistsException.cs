using TenantRag.Tenancy;

namespace TenantRag;

/// <summary>A tenant with that slug already exists.</summary>
public sealed class TenantAlreadyExistsException(TenantSlug slug, string status)
    : TenantRagException(status == "active"
        ? $"tenant '{slug}' already exists: pick another slug, or delete it first with 'tenantrag tenant delete {slug}'"
        : $"tenant '{slug}' already exists with status '{status}' (an interrupted create or delete): run 'tenantrag tenant delete {slug}' to clean it up")
{
    /// <summary>The existing tenant.</summary>
    public TenantSlug Slug { get; } = slug;
}
