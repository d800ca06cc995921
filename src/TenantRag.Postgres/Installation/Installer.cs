using Npgsql;
using TenantRag.Postgres.Schema;
using TenantRag.Postgres.Tenancy;
using TenantRag.Tenancy;

namespace TenantRag.Postgres.Installation;

/// <summary>
/// Creates and upgrades an installation: the roles of docs/DESIGN.md §2, the catalog, template and shared databases, and
/// the schema of every database (dedicated tenants included). Idempotent; concurrent callers take turns on an
/// advisory lock. When everything is current it costs one query.
/// </summary>
public sealed class Installer(Installation installation)
{
    // Session advisory lock on the maintenance database guarding role and database creation.
    private const long BootstrapLockKey = 0x7465_6e61_6e74_7262;

    private static readonly IReadOnlyList<Migration> CatalogMigrations = Migration.Load("Catalog");
    private static readonly IReadOnlyList<Migration> TenantMigrations = Migration.Load("Tenant");

    /// <summary>Newest catalog schema version.</summary>
    public static int CatalogVersion => CatalogMigrations.Count;

    /// <summary>Newest tenant-data schema version.</summary>
    public static int TenantVersion => TenantMigrations.Count;

    private InstallationNames Names => installation.Names;

    /// <summary>Makes sure everything exists and is migrated.</summary>
    public async Task EnsureAsync(CancellationToken cancellationToken = default)
    {
        if (await IsCurrentAsync(cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        await BootstrapAsync([Names.Catalog, Names.Template, Names.Shared], MigrateAllAsync, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Makes a server of the fleet that is not the primary ready for tenants (<c>tenantrag server add</c>): the same
    /// roles with the same passwords, the template and the shared database, migrated. No catalog: the primary's is the
    /// only one. Idempotent, under the same lock as <see cref="EnsureAsync"/>.
    /// </summary>
    public Task EnsureMemberAsync(CancellationToken cancellationToken = default) =>
        BootstrapAsync([Names.Template, Names.Shared], async ct =>
        {
            foreach (var database in new[] { Names.Template, Names.Shared })
            {
                await Migrator.MigrateAsync(installation.AdminConnectionString(database), TenantMigrations, Placeholders, ct).ConfigureAwait(false);
            }
        }, cancellationToken);

    // Roles and databases as the bootstrap role, under a session advisory lock on the maintenance database, then migrate.
    private async Task BootstrapAsync(string[] databases, Func<CancellationToken, Task> migrate, CancellationToken cancellationToken)
    {
        await using var bootstrap = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(installation.Endpoint.BootstrapConnectionString().ConnectionString) { Pooling = false }.ConnectionString);
        await using var connection = await bootstrap.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, $"SELECT pg_advisory_lock({BootstrapLockKey})", cancellationToken).ConfigureAwait(false);
        try
        {
            await EnsureRolesAsync(connection, cancellationToken).ConfigureAwait(false);
            foreach (var database in databases)
            {
                await EnsureDatabaseAsync(connection, database, cancellationToken).ConfigureAwait(false);
            }

            await migrate(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await ExecuteAsync(connection, $"SELECT pg_advisory_unlock({BootstrapLockKey})", CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>Brings one dedicated tenant database (made from the template) to the newest version and records it.</summary>
    internal async Task<int> MigrateTenantDatabaseAsync(string database, string kind, CancellationToken cancellationToken)
    {
        var version = await Migrator.MigrateAsync(installation.AdminConnectionString(database), TenantMigrations, Placeholders, cancellationToken).ConfigureAwait(false);
        await RecordVersionAsync(database, kind, version, cancellationToken).ConfigureAwait(false);
        return version;
    }

    /// <summary>
    /// Brings one tenant-data database on this installation's server (a template, shared or dedicated one) to the newest
    /// version without recording it (<c>tenantrag migrate</c> records it in the primary's catalog): the version it was at
    /// and the one it is at now.
    /// </summary>
    internal Task<(int Before, int After)> MigrateTenantDataAsync(string database, CancellationToken cancellationToken) =>
        Migrator.MigrateFromAsync(installation.AdminConnectionString(database), TenantMigrations, Placeholders, cancellationToken);

    private IReadOnlyDictionary<string, string> Placeholders => new Dictionary<string, string>
    {
        ["app_role"] = Sql.Identifier(Names.AppRole),
        ["admin_role"] = Sql.Identifier(Names.AdminRole),
    };

    private async Task MigrateAllAsync(CancellationToken cancellationToken)
    {
        var catalogVersion = await Migrator.MigrateAsync(installation.AdminConnectionString(Names.Catalog), CatalogMigrations, Placeholders, cancellationToken).ConfigureAwait(false);
        await using var catalog = NpgsqlDataSource.Create(installation.AdminConnectionString(Names.Catalog));
        await using (var cmd = catalog.CreateCommand("INSERT INTO tenantrag.servers (id, host, port) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET host = excluded.host, port = excluded.port"))
        {
            cmd.Parameters.Add(new() { Value = installation.ServerId });
            cmd.Parameters.Add(new() { Value = installation.Endpoint.Host });
            cmd.Parameters.Add(new() { Value = installation.Endpoint.Port });
            await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await RecordVersionAsync(Names.Catalog, "catalog", catalogVersion, cancellationToken).ConfigureAwait(false);
        await MigrateTenantDatabaseAsync(Names.Template, "template", cancellationToken).ConfigureAwait(false);
        await MigrateTenantDatabaseAsync(Names.Shared, "shared", cancellationToken).ConfigureAwait(false);

        var live = new List<(string Database, string Mode, string Id, TenantSlug Slug)>();
        // The primary's tenants only: the databases on the fleet's other servers are migrated by 'tenantrag migrate'
        // (FleetMigrator), so that a server that does not answer stops no command.
        await using (var cmd = catalog.CreateCommand("SELECT database_name, mode, id, slug FROM tenantrag.tenants WHERE status = 'active' AND server_id = 'primary' ORDER BY slug"))
        await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                live.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), TenantSlug.Parse(reader.GetString(3))));
            }
        }

        foreach (var (database, _, _, _) in live.Where(t => t.Mode == "dedicated"))
        {
            await MigrateTenantDatabaseAsync(database, "dedicated", cancellationToken).ConfigureAwait(false);
        }

        // Tenants created before the registry existed (an upgrade) are registered where their rows live, so their
        // writes pass the registry's foreign keys; rows of tenants no longer in the catalog stay unregistered, and
        // 'tenantrag audit' reports them. Idempotent.
        foreach (var group in live.GroupBy(t => t.Database, StringComparer.Ordinal))
        {
            await using var data = NpgsqlDataSource.Create(installation.AdminConnectionString(group.Key));
            foreach (var tenant in group)
            {
                await TenantRegistry.RegisterAsync(data, tenant.Id, tenant.Slug, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task RecordVersionAsync(string database, string kind, int version, CancellationToken cancellationToken)
    {
        await using var catalog = NpgsqlDataSource.Create(installation.AdminConnectionString(Names.Catalog));
        await SchemaVersions.RecordAsync(catalog, installation.ServerId, database, kind, version, cancellationToken).ConfigureAwait(false);
    }

    // One query: are the catalog, template, shared and every active dedicated database of this server at the newest version?
    private async Task<bool> IsCurrentAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var catalog = NpgsqlDataSource.Create(installation.AdminConnectionString(Names.Catalog));
            await using var cmd = catalog.CreateCommand("""
                SELECT
                  (SELECT coalesce(max(version), 0) FROM tenantrag.schema_versions WHERE server_id = $6 AND database_name = $1) = $4
                  AND (SELECT count(*) FROM tenantrag.schema_versions WHERE server_id = $6 AND database_name IN ($2, $3) AND version = $5) = 2
                  AND NOT EXISTS (
                      SELECT 1 FROM tenantrag.tenants t
                      LEFT JOIN tenantrag.schema_versions v ON v.server_id = t.server_id AND v.database_name = t.database_name
                      WHERE t.mode = 'dedicated' AND t.status = 'active' AND t.server_id = $6 AND coalesce(v.version, 0) <> $5)
                  AND pg_has_role(current_user, 'pg_signal_backend', 'MEMBER')
                """);
            cmd.Parameters.Add(new() { Value = Names.Catalog });
            cmd.Parameters.Add(new() { Value = Names.Template });
            cmd.Parameters.Add(new() { Value = Names.Shared });
            cmd.Parameters.Add(new() { Value = CatalogVersion });
            cmd.Parameters.Add(new() { Value = TenantVersion });
            cmd.Parameters.Add(new() { Value = installation.ServerId });
            return await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true;
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.InvalidCatalogName or PostgresErrorCodes.InvalidPassword
            or PostgresErrorCodes.InvalidAuthorizationSpecification or PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InvalidSchemaName
            or PostgresErrorCodes.UndefinedColumn)
        {
            // Not bootstrapped yet (no role, no database, no table), or a catalog from before a migration this query
            // relies on (schema_versions.server_id, Catalog/007): take the full path.
            return false;
        }
    }

    private async Task EnsureRolesAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var admin = Sql.Identifier(Names.AdminRole);
        var app = Sql.Identifier(Names.AppRole);
        await EnsureRoleAsync(connection, InstallationNames.AuthenticatedRole, "NOLOGIN NOINHERIT NOBYPASSRLS", cancellationToken).ConfigureAwait(false);
        await EnsureRoleAsync(connection, InstallationNames.AnonymousRole, "NOLOGIN NOINHERIT NOBYPASSRLS", cancellationToken).ConfigureAwait(false);

        // The admin bypasses RLS because its work (deleting a tenant, auditing) spans tenants; it never serves requests.
        await EnsureRoleAsync(connection, Names.AdminRole,
            $"LOGIN CREATEDB CREATEROLE BYPASSRLS NOSUPERUSER PASSWORD {Sql.SecretLiteral(installation.Secrets.AdminPassword)}", cancellationToken).ConfigureAwait(false);

        // The serving role gets nothing by inheritance: it must SET LOCAL ROLE authenticated in each transaction.
        await EnsureRoleAsync(connection, Names.AppRole,
            $"LOGIN NOINHERIT NOBYPASSRLS NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD {Sql.SecretLiteral(installation.Secrets.AppPassword)}", cancellationToken).ConfigureAwait(false);
        // pg_signal_backend lets the admin end a dedicated tenant's sessions when it drops that database
        // (DROP DATABASE ... WITH (FORCE) must terminate backends of the tenant's own login role).
        await ExecuteAsync(connection, $"""
            GRANT authenticated, anonymous TO {app};
            GRANT authenticated TO {admin} WITH ADMIN OPTION;
            GRANT pg_signal_backend TO {admin};
            """, cancellationToken).ConfigureAwait(false);

        if (installation.Endpoint.IsEmbedded)
        {
            // Our own cluster: no login role may connect anywhere it was not granted, not even the maintenance
            // databases (a dedicated tenant's role can then connect to its own database only). The admin runs
            // CREATE/DROP DATABASE from the catalog database, so it needs neither.
            await ExecuteAsync(connection, "REVOKE CONNECT ON DATABASE postgres, template1 FROM PUBLIC", cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task EnsureRoleAsync(NpgsqlConnection connection, string role, string attributes, CancellationToken cancellationToken)
    {
        var quoted = Sql.Identifier(role);
        try
        {
            await ExecuteAsync(connection, $"CREATE ROLE {quoted} {attributes}", cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.DuplicateObject or PostgresErrorCodes.UniqueViolation)
        {
            // Exists already (or another installation made it first): bring its attributes in line.
            await ExecuteAsync(connection, $"ALTER ROLE {quoted} {attributes}", cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task EnsureDatabaseAsync(NpgsqlConnection connection, string database, CancellationToken cancellationToken)
    {
        var quoted = Sql.Identifier(database);
        try
        {
            await ExecuteAsync(connection, $"CREATE DATABASE {quoted} OWNER {Sql.Identifier(Names.AdminRole)}", cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.DuplicateDatabase or PostgresErrorCodes.UniqueViolation)
        {
            // Made by an earlier run or a concurrent one.
        }

        var grant = database == Names.Template ? string.Empty : $"GRANT CONNECT ON DATABASE {quoted} TO {Sql.Identifier(Names.AppRole)};";
        await ExecuteAsync(connection, $"REVOKE ALL ON DATABASE {quoted} FROM PUBLIC; {grant}", cancellationToken).ConfigureAwait(false);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand(sql, connection);
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
