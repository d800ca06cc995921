namespace TenantRag.Tenancy;

/// <summary>The control plane: which tenants exist, in which model and database.</summary>
public interface ITenantCatalog
{
    /// <summary>Creates a tenant; throws <see cref="TenantAlreadyExistsException"/> when the slug is taken.</summary>
    Task<TenantInfo> CreateAsync(TenantSlug slug, TenancyMode mode, CancellationToken cancellationToken = default);

    /// <summary>
    /// Creates a tenant on the server of the fleet named <paramref name="server"/>, or (null) where the catalog places
    /// it. A catalog of one server accepts null only.
    /// </summary>
    Task<TenantInfo> CreateAsync(TenantSlug slug, TenancyMode mode, string? server, CancellationToken cancellationToken = default) =>
        server is null ? CreateAsync(slug, mode, cancellationToken) : throw new UsageException($"this catalog has one server: it cannot place a tenant on '{UsageException.Echo(server)}'");

    /// <summary>The tenant, or null when there is none.</summary>
    Task<TenantInfo?> FindAsync(TenantSlug slug, CancellationToken cancellationToken = default);

    /// <summary>Every tenant, ordered by slug.</summary>
    Task<IReadOnlyList<TenantInfo>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>How many tenants the catalog holds (of any status).</summary>
    Task<long> CountAsync(CancellationToken cancellationToken = default);

    /// <summary>Deletes a tenant and all its rows (or its database); throws <see cref="TenantNotFoundException"/>.</summary>
    Task<TenantDeletion> DeleteAsync(TenantSlug slug, CancellationToken cancellationToken = default);
}
