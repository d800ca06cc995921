using TenantRag.Postgres.Installation;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Postgres.Tests;

public sealed class MigrationTests(PostgresServer server)
{
    private const string Prefix = "t_mig";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task OpenAsync_SecondTime_ChangesNothing()
    {
        await using (await server.OpenInstallationAsync(Prefix))
        {
        }

        var names = new InstallationNames(Prefix);
        var before = await SnapshotAsync(names);

        await using (await server.OpenInstallationAsync(Prefix))
        {
        }

        var after = await SnapshotAsync(names);

        Assert.Equal(before, after);
        Assert.Contains(before, r => r.StartsWith($"primary:{names.Catalog}:catalog:{Installer.CatalogVersion}:", StringComparison.Ordinal));
        Assert.Contains(before, r => r.StartsWith($"primary:{names.Template}:template:{Installer.TenantVersion}:", StringComparison.Ordinal));
        Assert.Contains(before, r => r.StartsWith($"primary:{names.Shared}:shared:{Installer.TenantVersion}:", StringComparison.Ordinal));
        Assert.Equal(Installer.CatalogVersion + (2 * Installer.TenantVersion), before.Count(r => r.Contains('/', StringComparison.Ordinal)));
    }

    [Fact]
    public async Task OpenAsync_ConcurrentOnFreshPrefix_AllSucceedWithOneRowPerMigration()
    {
        var prefix = "m_" + Slugs.RandomLetters(8);
        var options = await server.OptionsAsync(prefix);
        var names = new InstallationNames(prefix);

        var opened = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => TenantRagDatabase.OpenAsync(server.Endpoint, server.Secrets, options, cancellationToken: Ct)));

        try
        {
            Assert.Equal(Expected(Installer.CatalogVersion), await MigrationVersionsAsync(names.Catalog));
            Assert.Equal(Expected(Installer.TenantVersion), await MigrationVersionsAsync(names.Template));
            Assert.Equal(Expected(Installer.TenantVersion), await MigrationVersionsAsync(names.Shared));
            Assert.Equal(3L, await server.ScalarAsync<long>(names.Catalog, "SELECT count(*) FROM tenantrag.schema_versions"));
            Assert.Equal(1L, await server.ScalarAsync<long>(names.Catalog, "SELECT count(*) FROM tenantrag.servers"));
            var slug = Slugs.Unique("fresh");
            await opened[1].Catalog.CreateAsync(slug, TenancyMode.Shared, Ct);
            Assert.NotNull(await opened[2].Catalog.FindAsync(slug, Ct));
        }
        finally
        {
            foreach (var database in opened)
            {
                await database.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task CreateAsync_DedicatedTenant_RecordsItsSchemaVersion()
    {
        await using var database = await server.OpenInstallationAsync(Prefix);
        var names = database.Installation.Names;
        var slug = Slugs.Unique("ver");

        var tenant = await database.Catalog.CreateAsync(slug, TenancyMode.Dedicated, Ct);

        var recorded = Assert.Single(await server.QueryAsync(names.Catalog,
            "SELECT kind, version FROM tenantrag.schema_versions WHERE server_id = 'primary' AND database_name = $1", tenant.Database));
        Assert.Equal(new object?[] { "dedicated", Installer.TenantVersion }, recorded);
        Assert.Equal(Expected(Installer.TenantVersion), await MigrationVersionsAsync(tenant.Database));
        Assert.Equal(
            await ChecksumsAsync(names.Template),
            await ChecksumsAsync(tenant.Database));
    }

    [Fact]
    public async Task OpenAsync_DedicatedDatabaseBehind_MigratesItAndRecordsVersion()
    {
        string tenantDatabase;
        string catalog;
        await using (var first = await server.OpenInstallationAsync(Prefix))
        {
            var tenant = await first.Catalog.CreateAsync(Slugs.Unique("behind"), TenancyMode.Dedicated, Ct);
            tenantDatabase = tenant.Database;
            catalog = first.Installation.Names.Catalog;
        }

        var applied = await MigrationRowsAsync(tenantDatabase);
        await server.ExecuteAsync(catalog, "UPDATE tenantrag.schema_versions SET version = 0 WHERE server_id = 'primary' AND database_name = $1", tenantDatabase);

        await using (await server.OpenInstallationAsync(Prefix))
        {
        }

        Assert.Equal(Installer.TenantVersion,
            await server.ScalarAsync<int>(catalog, "SELECT version FROM tenantrag.schema_versions WHERE server_id = 'primary' AND database_name = $1", tenantDatabase));
        Assert.Equal(applied, await MigrationRowsAsync(tenantDatabase));
    }

    [Fact]
    public async Task OpenAsync_CatalogFromBeforeVersionsPerServer_UpgradesAndKeysEachRowByItsServer()
    {
        var prefix = "m_" + Slugs.RandomLetters(8);
        var names = new InstallationNames(prefix);
        var options = await server.OptionsAsync(prefix);
        string onPrimary;
        await using (var first = await TenantRagDatabase.OpenAsync(server.Endpoint, server.Secrets, options, cancellationToken: Ct))
        {
            onPrimary = (await first.Catalog.CreateAsync(Slugs.Unique("upgrade"), TenancyMode.Dedicated, Ct)).Database;
        }

        // A dedicated tenant on another server of the fleet, recorded the way the catalog recorded it before Catalog/007
        // (by name alone); then the catalog as it was before 007.
        var elsewhere = $"{prefix}_t_elsewhere";
        await server.ExecuteAsync(names.Catalog, "INSERT INTO tenantrag.servers (id, host, port, credentials) VALUES ('other', '127.0.0.1', 1, 'file')");
        await server.ExecuteAsync(names.Catalog, "INSERT INTO tenantrag.tenants (slug, mode, server_id, database_name, status) VALUES ('elsewhere', 'dedicated', 'other', $1, 'active')", elsewhere);
        await server.ExecuteAsync(names.Catalog, "INSERT INTO tenantrag.schema_versions (server_id, database_name, kind, version) VALUES ('other', $1, 'dedicated', 3)", elsewhere);
        await server.ExecuteAsync(names.Catalog, """
            ALTER TABLE tenantrag.schema_versions DROP CONSTRAINT schema_versions_server_fk, DROP CONSTRAINT schema_versions_pkey, DROP COLUMN server_id;
            ALTER TABLE tenantrag.schema_versions ADD PRIMARY KEY (database_name);
            DELETE FROM tenantrag.migrations WHERE name = '007_schema_versions_per_server';
            """);

        await using (await TenantRagDatabase.OpenAsync(server.Endpoint, server.Secrets, options, cancellationToken: Ct))
        {
        }

        var rows = (await server.QueryAsync(names.Catalog, "SELECT server_id || ':' || database_name || ':' || version FROM tenantrag.schema_versions ORDER BY 1"))
            .Select(r => (string)r[0]!);
        Assert.Equal(
            new[]
            {
                $"other:{elsewhere}:3", $"primary:{names.Catalog}:{Installer.CatalogVersion}", $"primary:{onPrimary}:{Installer.TenantVersion}",
                $"primary:{names.Shared}:{Installer.TenantVersion}", $"primary:{names.Template}:{Installer.TenantVersion}",
            }.Order(StringComparer.Ordinal),
            rows);
        Assert.Equal(Expected(Installer.CatalogVersion), await MigrationVersionsAsync(names.Catalog));
    }

    [Fact]
    public async Task OpenAsync_EditedMigration_RefusesWithMessage()
    {
        var prefix = "m_" + Slugs.RandomLetters(8);
        var names = new InstallationNames(prefix);
        var options = await server.OptionsAsync(prefix);
        await using (await TenantRagDatabase.OpenAsync(server.Endpoint, server.Secrets, options, cancellationToken: Ct))
        {
        }

        await server.ExecuteAsync(names.Shared, "UPDATE tenantrag.migrations SET checksum = 'edited' WHERE version = 1");
        await server.ExecuteAsync(names.Catalog, "UPDATE tenantrag.schema_versions SET version = 0 WHERE server_id = 'primary' AND database_name = $1", names.Shared);

        var ex = await Assert.ThrowsAsync<TenantRagException>(() => TenantRagDatabase.OpenAsync(server.Endpoint, server.Secrets, options, cancellationToken: Ct));

        Assert.Contains("was changed after it was applied", ex.Message, StringComparison.Ordinal);
        Assert.Contains(names.Shared, ex.Message, StringComparison.Ordinal);
    }

    private static List<int> Expected(int count) => [.. Enumerable.Range(1, count)];

    private async Task<List<int>> MigrationVersionsAsync(string database) =>
        [.. (await server.QueryAsync(database, "SELECT version FROM tenantrag.migrations ORDER BY version")).Select(r => (int)r[0]!)];

    private async Task<List<string>> ChecksumsAsync(string database) =>
        [.. (await server.QueryAsync(database, "SELECT version || ':' || checksum FROM tenantrag.migrations ORDER BY version")).Select(r => (string)r[0]!)];

    private async Task<List<string>> MigrationRowsAsync(string database) =>
        [.. (await server.QueryAsync(database, "SELECT version || ':' || checksum || ':' || applied_at FROM tenantrag.migrations ORDER BY version")).Select(r => (string)r[0]!)];

    // Every migration row of the installation's three databases and every recorded schema version, as text.
    private async Task<List<string>> SnapshotAsync(InstallationNames names)
    {
        var rows = new List<string>();
        foreach (var database in new[] { names.Catalog, names.Template, names.Shared })
        {
            rows.AddRange((await MigrationRowsAsync(database)).Select(r => $"{database}/{r}"));
        }

        rows.AddRange((await server.QueryAsync(names.Catalog,
            "SELECT server_id || ':' || database_name || ':' || kind || ':' || version || ':' || updated_at FROM tenantrag.schema_versions ORDER BY server_id, database_name"))
            .Select(r => (string)r[0]!));
        return rows;
    }
}
