using Npgsql;
using TenantRag.Postgres.Cluster;
using TenantRag.Tenancy;

namespace TenantRag.Postgres.Installation;

/// <summary>
/// One TenantRag installation on one PostgreSQL server: how to reach it, its names, its secrets and settings.
/// It builds connection strings per role; it holds no connection itself.
/// </summary>
public sealed class Installation
{
    /// <summary>Describes an installation.</summary>
    public Installation(ServerEndpoint endpoint, Secrets secrets, TenancyOptions? options = null)
    {
        Endpoint = endpoint;
        Secrets = secrets;
        Options = options ?? new TenancyOptions();
        Names = new InstallationNames(Options.Prefix);
    }

    /// <summary>The server.</summary>
    public ServerEndpoint Endpoint { get; }

    /// <summary>The generated credentials.</summary>
    public Secrets Secrets { get; }

    /// <summary>Tenancy settings.</summary>
    public TenancyOptions Options { get; }

    /// <summary>Database and role names.</summary>
    public InstallationNames Names { get; }

    /// <summary>The catalog's id for this server: <c>primary</c> for the one holding the catalog.</summary>
    public string ServerId { get; private init; } = "primary";

    /// <summary>
    /// The database the admin role runs CREATE/DROP DATABASE and ROLE from on this server: the catalog on the primary,
    /// the shared database on any other (which has no catalog).
    /// </summary>
    public string MaintenanceDatabase => ServerId == "primary" ? Names.Catalog : Names.Shared;

    /// <summary>
    /// The same installation on another server of the fleet (<c>tenantrag.servers</c>): the same names, secrets and
    /// settings (every server runs the same roles with the same passwords), reached at <paramref name="endpoint"/>,
    /// and through that server's own pooler (<paramref name="pooler"/>, or none) rather than the primary's
    /// (<see cref="TenancyOptions.PoolerUrl"/> is the primary's).
    /// </summary>
    public Installation OnServer(string serverId, ServerEndpoint endpoint, Pooler.PoolerEndpoint? pooler = null) =>
        new(endpoint, Secrets, Options.WithPooler(pooler)) { ServerId = serverId };

    /// <summary>The admin role on <paramref name="database"/>: migrations, provisioning, audits. Never serves a tenant.</summary>
    public string AdminConnectionString(string database, int maxPoolSize = 4) => Tuned(
        Endpoint.ConnectionString(Names.AdminRole, Secrets.AdminPassword, database), maxPoolSize, TimeSpan.FromMinutes(1));

    /// <summary>
    /// The serving role on <paramref name="database"/> (the shared database or the catalog). The shared database is
    /// reached through the pooler of <see cref="TenancyOptions.PoolerUrl"/> when one is set.
    /// </summary>
    public string AppConnectionString(string database, int maxPoolSize)
    {
        var builder = Endpoint.ConnectionString(Names.AppRole, Secrets.AppPassword, database);
        if (database == Names.Shared && Options.PoolerAddress() is var (host, port))
        {
            // A transaction pooler hands each transaction any server connection: nothing may rely on session state.
            // Tenant context is transaction-local, and statements are not prepared (Npgsql's automatic preparation is
            // off, and stays off here so a setting elsewhere cannot turn it on).
            builder.Host = host;
            builder.Port = port;
            builder.MaxAutoPrepare = 0;
        }

        return Tuned(builder, maxPoolSize, Options.IdleTimeout);
    }

    /// <summary>A dedicated tenant's own login role on its own database.</summary>
    public string DedicatedConnectionString(TenantSlug slug, int? maxPoolSize = null)
    {
        var role = Names.DedicatedRole(slug);
        return Tuned(Endpoint.ConnectionString(role, Secrets.DerivePassword(role), Names.DedicatedDatabase(slug)),
            maxPoolSize ?? Options.DedicatedMaxPoolSize, Options.IdleTimeout);
    }

    private static string Tuned(NpgsqlConnectionStringBuilder builder, int maxPoolSize, TimeSpan idle)
    {
        builder.MaxPoolSize = maxPoolSize;
        builder.MinPoolSize = 0;
        builder.ConnectionIdleLifetime = Math.Max(1, (int)idle.TotalSeconds);
        builder.ConnectionPruningInterval = Math.Max(1, Math.Min(10, (int)idle.TotalSeconds));

        // No DISCARD ALL when a connection goes back to the pool: isolation must not depend on it. Every tenant
        // setting is transaction-local, and the leak drills prove a reused connection carries nothing over.
        builder.NoResetOnClose = true;
        return builder.ConnectionString;
    }
}
