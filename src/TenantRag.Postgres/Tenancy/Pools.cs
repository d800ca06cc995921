namespace TenantRag.Postgres.Tenancy;

/// <summary>
/// The registry keys and connection strings of the three kinds of pool, in one place. A key names the server as well
/// as the database (the same database names exist on every server of the fleet): the primary's keys are the database
/// alone, another server's add <c>@server/host:port</c>, so a server added again at another address gets new pools
/// (and its shared database's serving pool <c> via pooler-host:port</c>, when it has a pooler).
/// </summary>
internal static class Pools
{
    private const string AdminPrefix = "admin|";

    /// <summary>The admin role's pool on <paramref name="database"/> (provisioning, audits, drills).</summary>
    public static DataSourceRegistry.Lease Admin(this DataSourceRegistry registry, Installation.Installation installation, string database) =>
        registry.Acquire(AdminKey(installation, database), () => installation.AdminConnectionString(database));

    /// <summary>The serving role's pool on <paramref name="database"/> (shared database, catalog).</summary>
    public static DataSourceRegistry.Lease App(this DataSourceRegistry registry, Installation.Installation installation, string database, int maxPoolSize) =>
        registry.Acquire("app|" + Scope(installation, database) + Via(installation, database), () => installation.AppConnectionString(database, maxPoolSize));

    /// <summary>A dedicated tenant's own pool on its database.</summary>
    public static DataSourceRegistry.Lease Dedicated(this DataSourceRegistry registry, Installation.Installation installation, TenantRag.Tenancy.TenantSlug slug) =>
        registry.Acquire(DedicatedKey(installation, slug), () => installation.DedicatedConnectionString(slug));

    public static string DedicatedKey(Installation.Installation installation, TenantRag.Tenancy.TenantSlug slug) =>
        "tenant|" + Scope(installation, installation.Names.DedicatedDatabase(slug));

    public static string AdminKey(Installation.Installation installation, string database) => AdminPrefix + Scope(installation, database);

    /// <summary>Whether <paramref name="key"/> names an admin pool (whose statements may carry passwords).</summary>
    public static bool IsAdmin(string key) => key.StartsWith(AdminPrefix, StringComparison.Ordinal);

    // Another server's shared database through its pooler (server set --pooler-url): a pooler set, changed or taken
    // away gives the sessions a new pool, so no process keeps serving over the old route. The primary's pooler is a
    // setting, fixed for the process.
    private static string Via(Installation.Installation installation, string database) =>
        installation.ServerId != Fleet.ServerName.Primary && database == installation.Names.Shared && installation.Options.PoolerUrl is { } pooler
            ? " via " + pooler
            : string.Empty;

    private static string Scope(Installation.Installation installation, string database) =>
        installation.ServerId == Fleet.ServerName.Primary ? database : $"{database}@{installation.ServerId}/{installation.Endpoint.Host}:{installation.Endpoint.Port}";
}
