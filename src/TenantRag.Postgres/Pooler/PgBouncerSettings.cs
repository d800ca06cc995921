namespace TenantRag.Postgres.Pooler;

/// <summary>What a PgBouncer in transaction mode fronts, and who may log in through it.</summary>
public sealed record PgBouncerSettings
{
    /// <summary>The PostgreSQL server's host (every database on it is reachable through the pooler).</summary>
    public required string ServerHost { get; init; }

    /// <summary>The PostgreSQL server's port.</summary>
    public required int ServerPort { get; init; }

    /// <summary>
    /// Login roles and their passwords, written to the pooler's 0600 <c>auth_file</c>: PgBouncer checks clients with
    /// SCRAM against them and logs in to the server with them. Only the serving role belongs here.
    /// </summary>
    public required IReadOnlyDictionary<string, string> Users { get; init; }

    /// <summary>Server connections per (database, role) pair: the most the pooler opens, however many clients.</summary>
    public int DefaultPoolSize { get; init; } = 20;

    /// <summary>Most client connections the pooler accepts.</summary>
    public int MaxClientConnections { get; init; } = 5000;

    /// <summary>The loopback port to listen on; 0 picks a free one (and keeps it across restarts).</summary>
    public int ListenPort { get; init; }
}
