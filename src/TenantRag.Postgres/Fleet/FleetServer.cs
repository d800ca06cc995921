using TenantRag.Postgres.Cluster;
using TenantRag.Postgres.Pooler;

namespace TenantRag.Postgres.Fleet;

/// <summary>A server of the fleet as the catalog records it (<c>tenantrag.servers</c>): never its password.</summary>
public sealed record FleetServer
{
    /// <summary>Its name (<see cref="ServerName"/>); <c>primary</c> for the server holding the catalog.</summary>
    public required string Name { get; init; }

    /// <summary>Host name or address.</summary>
    public required string Host { get; init; }

    /// <summary>TCP port.</summary>
    public required int Port { get; init; }

    /// <summary>The maintenance database the bootstrap role connects to.</summary>
    public required string Database { get; init; }

    /// <summary>The bootstrap role (null for the primary, which is reached as the installation is configured).</summary>
    public string? Username { get; init; }

    /// <summary>Npgsql's SSL Mode from the URL's <c>sslmode</c>, if given.</summary>
    public string? SslMode { get; init; }

    /// <summary>How many tenants it should hold; null for no limit.</summary>
    public int? Capacity { get; init; }

    /// <summary>
    /// The PgBouncer in transaction mode the serving role reaches the server's shared database through
    /// (<c>--pooler-url</c>); null for none. Always null for the primary, whose pooler is the setting <c>Database:PoolerUrl</c>.
    /// </summary>
    public PoolerEndpoint? Pooler { get; init; }

    /// <summary><c>active</c>, <c>draining</c> or <c>removed</c>.</summary>
    public required string Status { get; init; }

    /// <summary>Where the bootstrap role's password is: <c>file</c> or <c>env:VAR</c> (null for the primary).</summary>
    public string? Credentials { get; init; }

    /// <summary>When it was added.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>How to reach it as its bootstrap role, with <paramref name="password"/> (<see cref="ServerCredentials.Read"/>).</summary>
    public ServerEndpoint Endpoint(string password) => new()
    {
        Host = Host,
        Port = Port,
        BootstrapUsername = Username ?? throw new InvalidOperationException($"server '{Name}' is reached as the installation is configured"),
        BootstrapPassword = password,
        BootstrapDatabase = Database,
        Extra = SslMode is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["SSL Mode"] = SslMode },
    };
}
