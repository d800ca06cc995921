using System.Text.Json;
using Npgsql;
using TenantRag.Postgres.Moves;
using TenantRag.Postgres.Installation;
using TenantRag.Tenancy;

namespace TenantRag.Postgres.Tenancy;

/// <summary>
/// Tenant lifecycle on PostgreSQL, as the admin role. A shared tenant is one catalog row; a dedicated tenant is a
/// catalog row, a database copied from the migrated template and a login role that may connect to it only.
/// Failures undo what was done, so a failed create changes nothing. Each change of a tenant's catalog row notifies every
/// serving process in its transaction (<see cref="CatalogNotifications"/>), so none keeps serving from a stale entry.
/// </summary>
public sealed partial class PostgresTenantCatalog : ITenantCatalog
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
        Placement = new TenantPlacement(installation, registry);
    }

    /// <summary>Which server a new tenant goes to.</summary>
    public TenantPlacement Placement { get; }

    private InstallationNames Names => _installation.Names;

    /// <inheritdoc />
    public Task<TenantInfo> CreateAsync(TenantSlug slug, TenancyMode mode, CancellationToken cancellationToken = default) =>
        CreateAsync(slug, mode, server: null, cancellationToken);

    /// <inheritdoc />
    public async Task<TenantInfo> CreateAsync(TenantSlug slug, TenancyMode mode, string? server, CancellationToken cancellationToken = default)
    {
        if (slug.Value is null)
        {
            throw new InvalidSlugException(null);
        }

        var serverId = await Placement.ChooseAsync(server, cancellationToken).ConfigureAwait(false);
        var on = await _sessions.Servers.GetAsync(serverId, cancellationToken).ConfigureAwait(false);

        // This creation's own id: the rows, caches and counters of the tenant are keyed by it, never by the slug.
        var id = Guid.NewGuid().ToString();
        if (mode == TenancyMode.Shared)
        {
            // Registered in the server's shared database first, so the tenant can write the moment its catalog row
            // exists. A failed insert (the slug is taken, the server filled up) takes the entry back; a crash in
            // between leaves an entry with no rows, which 'tenantrag audit' reports.
            using var shared = _registry.Admin(on, Names.Shared);
            await TenantRegistry.RegisterAsync(shared.DataSource, id, slug, cancellationToken).ConfigureAwait(false);
            try
            {
                var tenant = await InsertCatalogRowAsync(slug, id, mode, serverId, Names.Shared, "active", cancellationToken).ConfigureAwait(false);
                _sessions.Invalidate(slug);
                return tenant;
            }
            catch
            {
                await TenantRegistry.UnregisterAsync(shared.DataSource, id, CancellationToken.None).ConfigureAwait(false);
                throw;
            }
        }

        var created = await InsertCatalogRowAsync(slug, id, mode, serverId, Names.DedicatedDatabase(slug), "provisioning", cancellationToken).ConfigureAwait(false);
        _sessions.Invalidate(slug);
        try
        {
            await ProvisionDedicatedAsync(on, slug, cancellationToken).ConfigureAwait(false);

            // One connection, not a pool: a pool would hold it open on the new database until it idles out.
            await using var database = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(on.AdminConnectionString(created.Database)) { Pooling = false }.ConnectionString);
            await TenantRegistry.RegisterAsync(database, id, slug, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Leave nothing behind: no database, no role, no catalog row.
            await DropDedicatedAsync(on, slug, CancellationToken.None).ConfigureAwait(false);
            await DeleteCatalogRowAsync(created, "tenant.create.rollback", new { }, CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        await ChangeCatalogRowAsync(slug, "UPDATE tenantrag.tenants SET status = 'active' WHERE id = $1", [id], cancellationToken).ConfigureAwait(false);
        _sessions.Invalidate(slug);
        return created with { Status = "active" };
    }

    // The catalog row, in one transaction that first locks the server's row: placements on one server take turns, so
    // its capacity holds, and 'server remove' (which locks the row too) cannot remove it under a new tenant.
    private async Task<TenantInfo> InsertCatalogRowAsync(TenantSlug slug, string id, TenancyMode mode, string serverId, string database, string status, CancellationToken cancellationToken)
    {
        using var catalog = AdminLease(Names.Catalog);
        try
        {
            await using var connection = await catalog.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await TenantPlacement.ReserveAsync(connection, tx, serverId, cancellationToken).ConfigureAwait(false);
            await using var cmd = new NpgsqlCommand($"""
                WITH t AS (
                    INSERT INTO tenantrag.tenants (slug, id, mode, server_id, database_name, status) VALUES ($1, $2, $3, $4, $5, $6)
                    RETURNING {CatalogReader.Columns}),
                a AS (INSERT INTO tenantrag.audit_log (action, tenant, tenant_id, details) VALUES ('tenant.create', $1, $2, jsonb_build_object('mode', $3::text, 'server', $4::text)))
                SELECT * FROM t
                """, connection, tx);
            cmd.Parameters.Add(new() { Value = slug.Value });
            cmd.Parameters.Add(new() { Value = id });
            cmd.Parameters.Add(new() { Value = mode.ToName() });
            cmd.Parameters.Add(new() { Value = serverId });
            cmd.Parameters.Add(new() { Value = database });
            cmd.Parameters.Add(new() { Value = status });
            var tenant = (await CatalogReader.ReadAllAsync(cmd, cancellationToken).ConfigureAwait(false)).Single();
            await CatalogNotifications.NotifyAsync(connection, tx, slug, cancellationToken).ConfigureAwait(false);
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            return tenant;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            var existing = await FindAsync(slug, cancellationToken).ConfigureAwait(false);
            throw new TenantAlreadyExistsException(slug, existing?.Status ?? "active");
        }
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
    public async Task<long> CountAsync(CancellationToken cancellationToken = default)
    {
        using var catalog = AdminLease(Names.Catalog);
        await using var cmd = catalog.DataSource.CreateCommand("SELECT count(*) FROM tenantrag.tenants");
        return (long)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <inheritdoc />
    public async Task<TenantDeletion> DeleteAsync(TenantSlug slug, CancellationToken cancellationToken = default)
    {
        var tenant = await FindAsync(slug, cancellationToken).ConfigureAwait(false) ?? throw new TenantNotFoundException(slug);
        using (var moves = AdminLease(Names.Catalog))
        await using (var moving = moves.DataSource.CreateCommand($"SELECT step FROM tenantrag.tenant_moves WHERE tenant_id = $1 AND {MoveSteps.InProgressSql}"))
        {
            moving.Parameters.Add(new() { Value = tenant.Id });
            if (await moving.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is string step)
            {
                throw new TenantRagException($"tenant '{slug}' is being moved (step {step}): finish the move ('tenantrag tenant move {slug} --resume') or roll it back ('--abort') first; nothing was deleted");
            }
        }

        // Mark it first: from here on no new session opens for it in this process, nor in others once the notification
        // reaches them (or, with no listener, once their cached catalog entry expires). Until then their writes are
        // fenced in the database itself (see TenantRegistry).
        await ChangeCatalogRowAsync(slug, "UPDATE tenantrag.tenants SET status = 'deleting' WHERE id = $1", [tenant.Id], cancellationToken).ConfigureAwait(false);
        _sessions.Invalidate(slug);
        var on = await _sessions.Servers.ForAsync(tenant, cancellationToken).ConfigureAwait(false);
        TenantDeletion deletion;
        if (tenant.Mode == TenancyMode.Shared)
        {
            // Fenced: waits for the tenant's writes in flight in any process, deletes them too, and refuses later ones.
            using var shared = _registry.Admin(on, tenant.Database);
            var (documents, chunks) = await TenantRegistry.DeleteTenantRowsAsync(shared.DataSource, tenant.Id, cancellationToken).ConfigureAwait(false);
            deletion = new TenantDeletion { Tenant = tenant, Documents = documents, Chunks = chunks };
        }
        else
        {
            // Dropping the database ends the tenant's sessions in every process (WITH (FORCE)): nothing can be left.
            var (documents, chunks) = await CountDedicatedRowsAsync(on, tenant, cancellationToken).ConfigureAwait(false);
            await DropDedicatedAsync(on, slug, cancellationToken).ConfigureAwait(false);
            deletion = new TenantDeletion
            {
                Tenant = tenant,
                Documents = documents,
                Chunks = chunks,
                DroppedDatabase = Names.DedicatedDatabase(slug),
                DroppedRole = Names.DedicatedRole(slug),
            };
        }

        await DeleteCatalogRowAsync(tenant, "tenant.delete", new { mode = tenant.Mode.ToName(), documents = deletion.Documents, chunks = deletion.Chunks }, cancellationToken).ConfigureAwait(false);
        _sessions.Invalidate(slug);
        return deletion;
    }

    // The role and the database on server `on`; the schema version in the primary's catalog.
    internal async Task ProvisionDedicatedAsync(Installation.Installation on, TenantSlug slug, CancellationToken cancellationToken)
    {
        var role = Names.DedicatedRole(slug);
        using var lease = _registry.Admin(on, on.MaintenanceDatabase);
        await ExecuteAsync(lease.DataSource, $"""
            CREATE ROLE {Sql.Identifier(role)} LOGIN NOINHERIT NOBYPASSRLS NOCREATEDB NOCREATEROLE
                CONNECTION LIMIT {_installation.Options.DedicatedRoleConnectionLimit}
                PASSWORD {Sql.SecretLiteral(_installation.Secrets.DerivePassword(role))}
                IN ROLE authenticated
            """, cancellationToken).ConfigureAwait(false);

        await TemplateCopies.CreateAsync(lease.DataSource, Names, Names.DedicatedDatabase(slug), role, cancellationToken).ConfigureAwait(false);

        // The copy is at the version of its server's template; record it for future upgrades. A template of unknown
        // version leaves the copy unrecorded: 'tenantrag migrate' then looks at it.
        using var catalog = AdminLease(Names.Catalog);
        await using var cmd = catalog.DataSource.CreateCommand("""
            INSERT INTO tenantrag.schema_versions (server_id, database_name, kind, version)
            SELECT $3, $1, 'dedicated', version FROM tenantrag.schema_versions WHERE server_id = $3 AND database_name = $2
            ON CONFLICT (server_id, database_name) DO UPDATE SET version = excluded.version, kind = 'dedicated', updated_at = now()
            """);
        cmd.Parameters.Add(new() { Value = Names.DedicatedDatabase(slug) });
        cmd.Parameters.Add(new() { Value = Names.Template });
        cmd.Parameters.Add(new() { Value = on.ServerId });
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    internal async Task DropDedicatedAsync(Installation.Installation on, TenantSlug slug, CancellationToken cancellationToken)
    {
        await DropDedicatedDatabaseAsync(on, slug, cancellationToken).ConfigureAwait(false);
        using var catalog = AdminLease(Names.Catalog);
        await using var cmd = catalog.DataSource.CreateCommand("DELETE FROM tenantrag.schema_versions WHERE server_id = $1 AND database_name = $2");
        cmd.Parameters.Add(new() { Value = on.ServerId });
        cmd.Parameters.Add(new() { Value = Names.DedicatedDatabase(slug) });
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    // The tenant's database and login role on server `on` (if they exist), its pools here first.
    private async Task DropDedicatedDatabaseAsync(Installation.Installation on, TenantSlug slug, CancellationToken cancellationToken)
    {
        var databaseName = Names.DedicatedDatabase(slug);
        await _registry.EvictAsync(Pools.DedicatedKey(on, slug)).ConfigureAwait(false);
        await _registry.EvictAsync(Pools.AdminKey(on, databaseName)).ConfigureAwait(false);
        using var lease = _registry.Admin(on, on.MaintenanceDatabase);

        await TemplateCopies.DropAsync(lease.DataSource, databaseName, cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(lease.DataSource, $"DROP ROLE IF EXISTS {Sql.Identifier(Names.DedicatedRole(slug))}", cancellationToken).ConfigureAwait(false);
    }

    private async Task<(long Documents, long Chunks)> CountDedicatedRowsAsync(Installation.Installation on, TenantInfo tenant, CancellationToken cancellationToken)
    {
        try
        {
            using var lease = _registry.Admin(on, tenant.Database);
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

    private Task DeleteCatalogRowAsync(TenantInfo tenant, string action, object details, CancellationToken cancellationToken) =>
        ChangeCatalogRowAsync(tenant.Slug, """
            WITH t AS (DELETE FROM tenantrag.tenants WHERE id = $1 RETURNING slug, id)
            INSERT INTO tenantrag.audit_log (action, tenant, tenant_id, details) SELECT $2, slug, id, $3::jsonb FROM t
            """, [tenant.Id, action, JsonSerializer.Serialize(details)], cancellationToken);

    // One change of a tenant's catalog row, in a transaction that also notifies every serving process (their
    // CatalogListener drops the cached entry), delivered only if and once it commits.
    private async Task ChangeCatalogRowAsync(TenantSlug slug, string sql, object[] values, CancellationToken cancellationToken)
    {
        using var catalog = AdminLease(Names.Catalog);
        await using var connection = await catalog.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var cmd = new NpgsqlCommand(sql, connection, tx))
        {
            foreach (var value in values)
            {
                cmd.Parameters.Add(new() { Value = value });
            }

            await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await CatalogNotifications.NotifyAsync(connection, tx, slug, cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private DataSourceRegistry.Lease AdminLease(string database) => _registry.Admin(_installation, database);

    private static Task ExecuteAsync(NpgsqlDataSource dataSource, string sql, CancellationToken cancellationToken) =>
        TemplateCopies.ExecuteAsync(dataSource, sql, cancellationToken);
}
