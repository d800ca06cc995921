namespace TenantRag.Postgres.Cluster;

/// <summary>The state of the embedded cluster, as <c>tenantrag db status</c> prints it.</summary>
public sealed record ClusterStatus
{
    /// <summary>Whether the server answers.</summary>
    public required bool Running { get; init; }

    /// <summary>Whether <c>initdb</c> has made the data directory.</summary>
    public required bool Initialized { get; init; }

    /// <summary>Listen address.</summary>
    public required string Host { get; init; }

    /// <summary>Configured port (0 before the first start).</summary>
    public required int Port { get; init; }

    /// <summary>The data directory.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>The postmaster's process id when running.</summary>
    public int? Pid { get; init; }

    /// <summary>Major version of the binaries.</summary>
    public required int MajorVersion { get; init; }
}
