namespace TenantRag.Postgres.Fleet;

/// <summary>One server as <c>tenantrag server list</c> reports it: the catalog's record and what the server says now.</summary>
public sealed record ServerReport
{
    /// <summary>The catalog's record.</summary>
    public required FleetServer Server { get; init; }

    /// <summary>Active tenants the catalog maps to it, shared ones.</summary>
    public required int SharedTenants { get; init; }

    /// <summary>Active tenants the catalog maps to it, dedicated ones.</summary>
    public required int DedicatedTenants { get; init; }

    /// <summary>
    /// The pooler the serving role reaches its shared database through: the catalog's (<c>--pooler-url</c>), or for the
    /// primary the setting <c>Database:PoolerUrl</c>; null for none.
    /// </summary>
    public Pooler.PoolerEndpoint? Pooler { get; init; }

    /// <summary><c>server_version</c>; null when it was not reached (removed, or down: see <see cref="Error"/>).</summary>
    public string? Version { get; init; }

    /// <summary>TenantRag's databases on it (this installation's prefix).</summary>
    public IReadOnlyList<string> Databases { get; init; } = [];

    /// <summary>Open connections to those databases (<c>pg_stat_activity</c>).</summary>
    public long? Connections { get; init; }

    /// <summary>Bytes on disk of those databases (<c>pg_database_size</c>).</summary>
    public long? DiskBytes { get; init; }

    /// <summary>Why the server could not be asked, if it could not.</summary>
    public string? Error { get; init; }
}
