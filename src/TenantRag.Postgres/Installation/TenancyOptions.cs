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
    /// How often a serving process writes what it holds per tenant (cache bytes, connections) to the catalog, for
    /// <c>tenant show</c> and <c>tenant list</c>; a process's report counts for three intervals, so a killed process stops
    /// counting within that. Default 5 s.
    /// </summary>
    public TimeSpan PresenceInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Most pools a process keeps open (one per dedicated tenant in use, plus the shared ones). Past it, the least
    /// recently used idle pool is closed, so many active dedicated tenants cannot exhaust the server's connections.
    /// </summary>
    public int MaxOpenPools { get; set; } = 48;

    /// <summary>
    /// How long a looked-up catalog entry is trusted before it is read again. A serving process's
    /// <see cref="Tenancy.CatalogListener"/> drops an entry as soon as the catalog notifies a change of it; this bounds
    /// how stale one can be while the listener is not connected.
    /// </summary>
    public TimeSpan CatalogCacheTtl { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Most connections a dedicated tenant's login role may open at once, enforced by PostgreSQL.</summary>
    public int DedicatedRoleConnectionLimit { get; set; } = 8;

    /// <summary>
    /// <c>host:port</c> of a PgBouncer in transaction mode in front of the server (<c>Database:PoolerUrl</c>); when set,
    /// the serving role's connections to the shared database go through it. The catalog, dedicated databases and every
    /// admin connection stay direct. Null: no pooler.
    /// </summary>
    public string? PoolerUrl { get; set; }

    /// <summary>A copy of these settings, to change without changing the caller's.</summary>
    internal TenancyOptions Copy() => (TenancyOptions)MemberwiseClone();

    /// <summary>
    /// A copy of these settings with <see cref="PoolerUrl"/> set to <paramref name="pooler"/> (for another server of the
    /// fleet, which has a pooler of its own or none; the setting is the primary's).
    /// </summary>
    internal TenancyOptions WithPooler(Pooler.PoolerEndpoint? pooler)
    {
        var copy = Copy();
        copy.PoolerUrl = pooler?.Address;
        return copy;
    }

    /// <summary>Rejects settings no installation could run with, naming the key (<c>Database:...</c>).</summary>
    /// <exception cref="UsageException">The prefix is not a valid name part, a pool size or limit below 1, or a duration not positive.</exception>
    public void Validate()
    {
        try
        {
            _ = new InstallationNames(Prefix);
        }
        catch (ConfigurationException ex)
        {
            throw new UsageException($"setting Database:Prefix: {ex.Message}");
        }

        foreach (var (key, value) in new (string, int)[]
        {
            ("Database:SharedMaxPoolSize", SharedMaxPoolSize), ("Database:DedicatedMaxPoolSize", DedicatedMaxPoolSize),
            ("Database:MaxOpenPools", MaxOpenPools), ("Database:DedicatedRoleConnectionLimit", DedicatedRoleConnectionLimit),
        })
        {
            if (value < 1)
            {
                throw new UsageException($"setting {key} is {value}: give 1 or more");
            }
        }

        _ = PoolerAddress();
        foreach (var (key, value) in new[] { ("Database:IdleTimeout", IdleTimeout), ("Database:CatalogCacheTtl", CatalogCacheTtl), ("Database:PresenceInterval", PresenceInterval) })
        {
            if (value <= TimeSpan.Zero)
            {
                throw new UsageException(FormattableString.Invariant($"setting {key} is {value}: give a positive hh:mm:ss duration"));
            }
        }
    }

    /// <summary>The host and port of <see cref="PoolerUrl"/>, or null when none is set.</summary>
    /// <exception cref="UsageException">It is not <c>host:port</c> with a port from 1 to 65535.</exception>
    public (string Host, int Port)? PoolerAddress()
    {
        if (string.IsNullOrWhiteSpace(PoolerUrl))
        {
            return null;
        }

        if (Pooler.PoolerEndpoint.TryParseAddress(PoolerUrl) is { } pooler)
        {
            return (pooler.Host, pooler.Port);
        }

        throw new UsageException("setting Database:PoolerUrl: give host:port of a PgBouncer in transaction mode (e.g. 127.0.0.1:6432)");
    }
}
