namespace TenantRag.Postgres.Installation;

/// <summary>Settings of the tenancy layer.</summary>
public sealed class TenancyOptions
{
    /// <summary>Prefix of every database and role name (default <c>tenantrag</c>, as docs/DESIGN.md §1 names them).</summary>
    public string Prefix { get; set; } = "tenantrag";

    /// <summary>Most physical connections to the shared database (all shared tenants use this one pool).</summary>
    public int SharedMaxPoolSize { get; set; } = 16;

    /// <summary>Most physical connections to one dedicated tenant's database; small, because the pools add up.</summary>
    public int DedicatedMaxPoolSize { get; set; } = 2;

    /// <summary>
    /// A tenant pool unused this long is closed and forgotten, so an idle tenant holds no connection and no memory.
    /// Idle physical connections inside a pool in use are also closed after this time.
    /// </summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Most pools a process keeps open (one per dedicated tenant in use, plus the shared ones). Past it, the least
    /// recently used idle pool is closed, so many active dedicated tenants cannot exhaust the server's connections.
    /// </summary>
    public int MaxOpenPools { get; set; } = 48;

    /// <summary>How long a looked-up catalog entry is trusted before it is read again.</summary>
    public TimeSpan CatalogCacheTtl { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Most connections a dedicated tenant's login role may open at once, enforced by PostgreSQL.</summary>
    public int DedicatedRoleConnectionLimit { get; set; } = 8;
}
