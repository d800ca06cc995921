namespace TenantRag.Postgres.Cluster;

/// <summary>Settings of the embedded cluster.</summary>
public sealed class EmbeddedClusterOptions
{
    /// <summary>
    /// Turn off <c>fsync</c> and synchronous commit: faster, and safe only for throwaway clusters (the test suite).
    /// A crash of the machine can then lose committed data.
    /// </summary>
    public bool Durable { get; set; } = true;

    /// <summary>Server <c>max_connections</c>; every tenant pool counts against it.</summary>
    public int MaxConnections { get; set; } = 200;

    /// <summary>Seconds <c>pg_ctl</c> waits for the server to start or stop.</summary>
    public int StartTimeoutSeconds { get; set; } = 60;

    /// <summary>
    /// Write <c>wal_level = logical</c> into the cluster's configuration, so tenants can later be moved off or onto it
    /// with logical replication (<c>tenantrag tenant move</c>). On by default, for the default cluster and named ones
    /// alike; takes effect at the next start.
    /// </summary>
    public bool LogicalReplication { get; set; } = true;
}
