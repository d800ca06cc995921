namespace TenantRag.Tenancy;

/// <summary>
/// The one way to reach tenant data, for both isolation models: it finds the tenant's database and returns a
/// transaction running as <c>authenticated</c> with the caller's tenant and user set for that transaction only.
/// </summary>
public interface ITenantConnectionFactory
{
    /// <summary>Opens a tenant session; throws <see cref="TenantNotFoundException"/> for an unknown or inactive tenant.</summary>
    Task<ITenantSession> OpenAsync(TenantContext context, CancellationToken cancellationToken = default);
}
