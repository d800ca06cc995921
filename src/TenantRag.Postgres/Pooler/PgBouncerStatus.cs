namespace TenantRag.Postgres.Pooler;

/// <summary>The state of a PgBouncer under a directory, as <c>tenantrag db status</c> prints it.</summary>
public sealed record PgBouncerStatus
{
    /// <summary>Whether its process is alive.</summary>
    public required bool Running { get; init; }

    /// <summary>Listen address.</summary>
    public required string Host { get; init; }

    /// <summary>Configured port (0 before the first start).</summary>
    public required int Port { get; init; }

    /// <summary>Its process id when running.</summary>
    public int? Pid { get; init; }

    /// <summary><c>host:port</c>, the form of <c>TenantRag:Database:PoolerUrl</c>.</summary>
    public string Address => $"{Host}:{Port}";
}
