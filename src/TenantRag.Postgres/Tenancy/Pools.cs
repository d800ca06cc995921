namespace TenantRag.Postgres.Tenancy;

/// <summary>The registry keys and connection strings of the three kinds of pool, in one place.</summary>
internal static class Pools
{
    /// <summary>The admin role's pool on <paramref name="database"/> (provisioning, audits, drills).</summary>
    public static DataSourceRegistry.Lease Admin(this DataSourceRegistry registry, Installation.Installation installation, string database) =>
        registry.Acquire($"admin|{database}", () => installation.AdminConnectionString(database));

    /// <summary>The serving role's pool on <paramref name="database"/> (shared database, catalog).</summary>
    public static DataSourceRegistry.Lease App(this DataSourceRegistry registry, Installation.Installation installation, string database, int maxPoolSize) =>
        registry.Acquire($"app|{database}", () => installation.AppConnectionString(database, maxPoolSize));

    /// <summary>A dedicated tenant's own pool on its database.</summary>
    public static DataSourceRegistry.Lease Dedicated(this DataSourceRegistry registry, Installation.Installation installation, TenantRag.Tenancy.TenantSlug slug) =>
        registry.Acquire(DedicatedKey(installation, slug), () => installation.DedicatedConnectionString(slug));

    public static string DedicatedKey(Installation.Installation installation, TenantRag.Tenancy.TenantSlug slug) =>
        $"tenant|{installation.Names.DedicatedDatabase(slug)}";

    public static string AdminKey(string database) => $"admin|{database}";
}
