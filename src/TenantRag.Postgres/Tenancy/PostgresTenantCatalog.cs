using System.Text.Json;
using Npgsql;
using TenantRag.Postgres.Installation;
using TenantRag.Tenancy;

namespace TenantRag.Postgres.Tenancy;

/// <summary>
/// Tenant lifecycle on PostgreSQL, as the admin role. A shared tenant is one catalog row; a dedicated tenant is a
/// catalog row, a database copied from the migrated template and a login role that may connect to it only.
/// Failures undo what was done, so a failed create changes nothing.
/// </summary>
public sealed class PostgresTenantCatalog : ITenantCatalog
{
    private readonly Installation.Installation _installation;
    private readonly DataSourceRegistry _registry;
    private readonly TenantConnectionFactory _sessions;

    /// <summary>Creates the catalog service.</summary>
    public PostgresTenantCatalog(Installation.Installation installation, DataSourceRegistry registry, TenantConnectionFactory sessions)
    {
        _installation = installation;
        _registry = registry;
        _sessions = sessions;
    }

    private InstallationNames Names => _installation.Names;

    /// <inheritdoc />
    public async Task<TenantInfo> CreateAsync(TenantSlug slug, TenancyMode mode, CancellationToken cancellationToken = default)
    {
        if (slug.Value is null)
        {
            throw new InvalidSlugException(null);
        }

        var database = mode == TenancyMode.Shared ? Names.Shared : Names.DedicatedDatabase(slug);
        var status = mode == TenancyMode.Shared ? "active" : "provisioning";
        using var catalog = AdminLease(Names.Catalog);
        TenantInfo created;
        try
        {
            await using var cmd = catalog.DataSource.CreateCommand($"""
                WITH t AS (
                    INSERT INTO tenantrag.tenants (slug, mode, server_id, database_name, status) VALUES ($1, $2, $3, $4, $5)
                    RETURNING {CatalogReader.Columns}),
                a AS (INSERT INTO tenantrag.audit_log (action, tenant, details) VALUES ('tenant.create', $1, jsonb_build_object('mode', $2::text)))
                SELECT * FROM t
                """);
            cmd.Parameters.Add(new() { Value = slug.Value });
            cmd.Parameters.Add(new() { Value = mode.ToName() });
            cmd.Parameters.Add(new() { Value = _installation.ServerId });
            cmd.Parameters.Add(new() { Value = database });
            cmd.Parameters.Add(new() { Value = status });
            created = (await CatalogReader.ReadAllAsync(cmd, cancellationToken).ConfigureAwait(false)).Single();
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            var existing = await FindAsync(slug, cancellationToken).ConfigureAwait(false);
            throw new TenantAlreadyExistsException(slug, existing?.Status ?? "active");
        }

        _sessions.Invalidate(slug);
        if (mode == TenancyMode.Shared)
        {
            return created;
        }

        try
        {
            await ProvisionDedicatedAsync(slug, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Leave nothing behind: no database, no role, no catalog row.
            await DropDedicatedAsync(slug, CancellationToken.None).ConfigureAwait(false);
            await DeleteCatalogRowAsync(slug, "tenant.create.rollback", new { }, CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        await using (var activate = catalog.DataSource.CreateCommand("UPDATE tenantrag.tenants SET status = 'active' WHERE slug = $1"))
        {
            activate.Parameters.Add(new() { Value = slug.Value });
            await activate.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        _sessions.Invalidate(slug);
        return created with { Status = "active" };
    }

    /// <inheritdoc />
    public async Task<TenantInfo?> FindAsync(TenantSlug slug, CancellationToken cancellationToken = default)
    {
        using var catalog = AdminLease(Names.Catalog);
        await using var cmd = catalog.DataSource.CreateCommand($"SELECT {CatalogReader.Columns} FROM tenantrag.tenants WHERE slug = $1");
        cmd.Parameters.Add(new() { Value = slug.Value });
        return (await CatalogReader.ReadAllAsync(cmd, cancellationToken).ConfigureAwait(false)).SingleOrDefault();
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<TenantInfo>> ListAsync(CancellationToken cancellationToken = default)
    {
        using var catalog = AdminLease(Names.Catalog);
        await using var cmd = catalog.DataSource.CreateCommand($"SELECT {CatalogReader.Columns} FROM tenantrag.tenants ORDER BY slug");
        return await CatalogReader.ReadAllAsync(cmd, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<TenantDeletion> DeleteAsync(TenantSlug slug, CancellationToken cancellationToken = default)
    {
        var tenant = await FindAsync(slug, cancellationToken).ConfigureAwait(false) ?? throw new TenantNotFoundException(slug);

        // Mark it first: from here on no new session opens for it.
        using (var catalog = AdminLease(Names.Catalog))
        await using (var mark = catalog.DataSource.CreateCommand("UPDATE tenantrag.tenants SET status = 'deleting' WHERE slug = $1"))
        {
            mark.Parameters.Add(new() { Value = slug.Value });
            await mark.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        _sessions.Invalidate(slug);
        TenantDeletion deletion;
        if (tenant.Mode == TenancyMode.Shared)
        {
            var (documents, chunks) = await DeleteSharedRowsAsync(slug, cancellationToken).ConfigureAwait(false);
            deletion = new TenantDeletion { Tenant = tenant, Documents = documents, Chunks = chunks };
        }
        else
        {
            var (documents, chunks) = await CountDedicatedRowsAsync(tenant, cancellationToken).ConfigureAwait(false);
            await DropDedicatedAsync(slug, cancellationToken).ConfigureAwait(false);
            deletion = new TenantDeletion
            {
                Tenant = tenant,
                Documents = documents,
                Chunks = chunks,
                DroppedDatabase = Names.DedicatedDatabase(slug),
                DroppedRole = Names.DedicatedRole(slug),
            };
        }

        await DeleteCatalogRowAsync(slug, "tenant.delete", new { mode = tenant.Mode.ToName(), documents = deletion.Documents, chunks = deletion.Chunks }, cancellationToken).ConfigureAwait(false);
        _sessions.Invalidate(slug);
        return deletion;
    }

    private async Task ProvisionDedicatedAsync(TenantSlug slug, CancellationToken cancellationToken)
    {
        var role = Names.DedicatedRole(slug);
        using var lease = AdminLease(Names.Catalog);
        await ExecuteAsync(lease.DataSource, $"""
            CREATE ROLE {Sql.Identifier(role)} LOGIN NOINHERIT NOBYPASSRLS NOCREATEDB NOCREATEROLE
                CONNECTION LIMIT {_installation.Options.DedicatedRoleConnectionLimit}
                PASSWORD {Sql.SecretLiteral(_installation.Secrets.DerivePassword(role))}
                IN ROLE authenticated
            """, cancellationToken).ConfigureAwait(false);

        await TemplateCopies.CreateAsync(lease.DataSource, Names, Names.DedicatedDatabase(slug), role, cancellationToken).ConfigureAwait(false);

        // The template is migrated, so the copy is at the template's version; record it for future upgrades.
        using var catalog = AdminLease(Names.Catalog);
        await using var cmd = catalog.DataSource.CreateCommand("""
            INSERT INTO tenantrag.schema_versions (database_name, kind, version)
            SELECT $1, 'dedicated', version FROM tenantrag.schema_versions WHERE database_name = $2
            ON CONFLICT (database_name) DO UPDATE SET version = excluded.version, kind = 'dedicated', updated_at = now()
            """);
        cmd.Parameters.Add(new() { Value = Names.DedicatedDatabase(slug) });
        cmd.Parameters.Add(new() { Value = Names.Template });
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task DropDedicatedAsync(TenantSlug slug, CancellationToken cancellationToken)
    {
        var databaseName = Names.DedicatedDatabase(slug);
        await _registry.EvictAsync(Pools.DedicatedKey(_installation, slug)).ConfigureAwait(false);
        await _registry.EvictAsync(Pools.AdminKey(databaseName)).ConfigureAwait(false);
        using var lease = AdminLease(Names.Catalog);

        await TemplateCopies.DropAsync(lease.DataSource, databaseName, cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(lease.DataSource, $"DROP ROLE IF EXISTS {Sql.Identifier(Names.DedicatedRole(slug))}", cancellationToken).ConfigureAwait(false);
        using var catalog = AdminLease(Names.Catalog);
        await using var cmd = catalog.DataSource.CreateCommand("DELETE FROM tenantrag.schema_versions WHERE database_name = $1");
        cmd.Parameters.Add(new() { Value = databaseName });
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<(long Documents, long Chunks)> DeleteSharedRowsAsync(TenantSlug slug, CancellationToken cancellationToken)
    {
        // One transaction: either every row of the tenant goes, or none. The counters go in a statement of their own,
        // after the chunks: the chunk delete's statement trigger writes the version row at the end of its statement.
        using var lease = AdminLease(Names.Shared);
        await using var connection = await lease.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var batch = new NpgsqlBatch(connection, tx)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("DELETE FROM public.chunks WHERE tenant_id = $1") { Parameters = { new() { Value = slug.Value } } },
                new NpgsqlBatchCommand("DELETE FROM public.documents WHERE tenant_id = $1") { Parameters = { new() { Value = slug.Value } } },
                new NpgsqlBatchCommand("DELETE FROM public.tenant_data_versions WHERE tenant_id = $1") { Parameters = { new() { Value = slug.Value } } },
                new NpgsqlBatchCommand("DELETE FROM public.tenant_usage WHERE tenant_id = $1") { Parameters = { new() { Value = slug.Value } } },
            },
        };
        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        var chunks = batch.BatchCommands[0].RecordsAffected;
        var documents = batch.BatchCommands[1].RecordsAffected;
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return (documents, chunks);
    }

    private async Task<(long Documents, long Chunks)> CountDedicatedRowsAsync(TenantInfo tenant, CancellationToken cancellationToken)
    {
        try
        {
            using var lease = AdminLease(tenant.Database);
            await using var cmd = lease.DataSource.CreateCommand("SELECT (SELECT count(*) FROM public.documents), (SELECT count(*) FROM public.chunks)");
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            return (reader.GetInt64(0), reader.GetInt64(1));
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InvalidCatalogName)
        {
            // An interrupted create left no database: nothing to count.
            return (0, 0);
        }
    }

    private async Task DeleteCatalogRowAsync(TenantSlug slug, string action, object details, CancellationToken cancellationToken)
    {
        using var catalog = AdminLease(Names.Catalog);
        await using var cmd = catalog.DataSource.CreateCommand("""
            WITH t AS (DELETE FROM tenantrag.tenants WHERE slug = $1 RETURNING slug)
            INSERT INTO tenantrag.audit_log (action, tenant, details) SELECT $2, slug, $3::jsonb FROM t
            """);
        cmd.Parameters.Add(new() { Value = slug.Value });
        cmd.Parameters.Add(new() { Value = action });
        cmd.Parameters.Add(new() { Value = JsonSerializer.Serialize(details) });
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private DataSourceRegistry.Lease AdminLease(string database) => _registry.Admin(_installation, database);

    private static Task ExecuteAsync(NpgsqlDataSource dataSource, string sql, CancellationToken cancellationToken) =>
        TemplateCopies.ExecuteAsync(dataSource, sql, cancellationToken);
}
