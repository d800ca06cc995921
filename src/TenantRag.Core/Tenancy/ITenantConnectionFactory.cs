namespace TenantRag.Tenancy;

/// <summary>
/// The one way to reach tenant data, for both isolation models: it finds the tenant's database and returns a
/// transaction running as <c>authenticated</c> with the caller's tenant and user set for that transaction only.
/// </summary>
public interface ITenantConnectionFactory
{
    /// <summary>Opens a tenant session; throws <see cref="TenantNotFoundException"/> for an unknown or inactive tenant.</summary>
    Task<ITenantSession> OpenAsync(TenantContext context, CancellationToken cancellationToken = default);

    /// <summary>The active tenant <paramref name="slug"/> names (briefly cached); throws <see cref="TenantNotFoundException"/>.</summary>
    Task<TenantInfo> ResolveAsync(TenantSlug slug, CancellationToken cancellationToken = default);

    /// <summary>Forgets what is cached about <paramref name="slug"/> (after it was created or deleted in this process).</summary>
    void Invalidate(TenantSlug slug);

    /// <summary>Whether the catalog answers the serving role; throws what the connection throws when it does not.</summary>
    Task PingAsync(CancellationToken cancellationToken = default);
}
