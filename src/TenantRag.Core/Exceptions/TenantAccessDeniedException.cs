namespace TenantRag;

/// <summary>The caller may not act on this tenant (or the tenant is not active).</summary>
public sealed class TenantAccessDeniedException(string message) : TenantRagException(message);
