using TenantRag.Tenancy;

namespace TenantRag;

/// <summary>
/// The tenant is being moved to another server or model and its writes are fenced for a moment: nothing of the write
/// was done, and the same write succeeds shortly (the HTTP API answers 503 with <c>Retry-After</c>). Reads are never fenced.
/// </summary>
public sealed class TenantMovingException(TenantSlug slug)
    : TenantRagException($"tenant '{slug}' is being moved and takes no writes for a moment: nothing was written; try again shortly")
{
    /// <summary>The moving tenant.</summary>
    public TenantSlug Slug { get; } = slug;
}
