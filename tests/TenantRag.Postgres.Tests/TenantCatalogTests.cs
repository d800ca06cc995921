using Npgsql;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Postgres.Tests;

public sealed class TenantCatalogTests(PostgresServer server) : IAsyncLifetime
{
    private const string Prefix = "t_cat";
    private TenantRagDatabase _database = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Installation.InstallationNames Names => _database.Installation.Names;

    public async ValueTask InitializeAsync() => _database = await server.OpenInstallationAsync(Prefix);

    public ValueTask DisposeAsync() => _database.DisposeAsync();

    [Fact]
    public async Task CreateAsync_SharedTenant_IsFoundListedAndLivesInSharedDatabase()
    {
        var slug = Slugs.Unique("shared");

        var created = await _database.Catalog.CreateAsync(slug, TenancyMode.Shared, Ct);
        var found = await _database.Catalog.FindAsync(slug, Ct);
        var listed = await _database.Catalog.ListAsync(Ct);

        Assert.Equal(slug, created.Slug);
        Assert.Equal(TenancyMode.Shared, created.Mode);
        Assert.Equal(Names.Shared, created.Database);
        Assert.Equal("active", created.Status);
        Assert.Equal("primary", created.Server);
        Assert.Null(created.LastActiveAt);
        Assert.Equal(created, found);
        Assert.Contains(listed, t => t.Slug == slug);
        Assert.Equal(listed.OrderBy(t => t.Slug.Value, StringComparer.Ordinal).Select(t => t.Slug), listed.Select(t => t.Slug));
        Assert.False(await server.DatabaseExistsAsync(Names.DedicatedDatabase(slug)));
        Assert.False(await server.RoleExistsAsync(Names.DedicatedRole(slug)));
    }

    [Fact]
    public async Task FindAsync_AfterSession_ShowsLastActive()
    {
        var slug = Slugs.Unique("active");
        await _database.Catalog.CreateAsync(slug, TenancyMode.Shared, Ct);
        var before = DateTimeOffset.UtcNow.AddSeconds(-5);

        await using (await _database.Sessions.OpenSessionAsync(TenantContext.For(slug, UserId.Parse("u1")), Ct))
        {
        }

        var found = await _database.Catalog.FindAsync(slug, Ct);

        Assert.NotNull(found);
        Assert.NotNull(found.LastActiveAt);
        Assert.InRange(found.LastActiveAt.Value, before, DateTimeOffset.UtcNow.AddSeconds(5));
    }

    [Fact]
    public async Task DeleteAsync_SharedTenant_RemovesOnlyItsRowsAndReportsCounts()
    {
        var doomed = Slugs.Unique("doomed");
        var survivor = Slugs.Unique("survivor");
        var doomedId = (await _database.Catalog.CreateAsync(doomed, TenancyMode.Shared, Ct)).Id;
        var survivorId = (await _database.Catalog.CreateAsync(survivor, TenancyMode.Shared, Ct)).Id;
        var doomedDocs = await TenantRows.InsertDocumentsAsync(_database, doomed, "d1", "d2", "d3");
        await TenantRows.InsertChunksAsync(_database, doomed, doomedDocs[0], 4);
        await TenantRows.InsertChunksAsync(_database, doomed, doomedDocs[1], 1);
        var survivorDocs = await TenantRows.InsertDocumentsAsync(_database, survivor, "s1");
        await TenantRows.InsertChunksAsync(_database, survivor, survivorDocs[0], 2);

        var deletion = await _database.Catalog.DeleteAsync(doomed, Ct);

        Assert.Equal(doomed, deletion.Tenant.Slug);
        Assert.Equal(3, deletion.Documents);
        Assert.Equal(5, deletion.Chunks);
        Assert.Null(deletion.DroppedDatabase);
        Assert.Null(deletion.DroppedRole);
        Assert.Null(await _database.Catalog.FindAsync(doomed, Ct));
        Assert.DoesNotContain(await _database.Catalog.ListAsync(Ct), t => t.Slug == doomed);
        Assert.Equal(0L, await CountRowsAsync(Names.Shared, doomedId));
        Assert.Equal(0L, await server.ScalarAsync<long>(Names.Shared, "SELECT count(*) FROM public.chunks WHERE tenant_id = $1", doomedId));
        Assert.Equal(1L, await CountRowsAsync(Names.Shared, survivorId));
        Assert.Equal(2L, await server.ScalarAsync<long>(Names.Shared, "SELECT count(*) FROM public.chunks WHERE tenant_id = $1", survivorId));
        await Assert.ThrowsAsync<TenantNotFoundException>(() => _database.Sessions.OpenSessionAsync(TenantContext.For(doomed, UserId.Parse("u1")), Ct));
    }

    [Fact]
    [Trait("Category", "Isolation")]
    public async Task CreateAsync_DedicatedTenant_MakesPrivateDatabaseAndLoginRole()
    {
        var slug = Slugs.Unique("ded");

        var created = await _database.Catalog.CreateAsync(slug, TenancyMode.Dedicated, Ct);

        var database = $"{Prefix}_t_{slug.Value.Replace('-', '_')}";
        Assert.Equal(database, created.Database);
        Assert.Equal(TenancyMode.Dedicated, created.Mode);
        Assert.Equal("active", created.Status);
        Assert.Equal(created, await _database.Catalog.FindAsync(slug, Ct));
        Assert.True(await server.DatabaseExistsAsync(database));
        var role = await server.QueryAsync("postgres",
            "SELECT rolcanlogin, rolsuper, rolbypassrls, rolcreatedb, rolcreaterole, rolinherit FROM pg_roles WHERE rolname = $1", Names.DedicatedRole(slug));
        Assert.Equal(new object?[] { true, false, false, false, false, false }, Assert.Single(role));
        Assert.False(await server.ScalarAsync<bool>("postgres", "SELECT has_database_privilege('public', $1, 'CONNECT')", database));
        Assert.True(await server.ScalarAsync<bool>("postgres", "SELECT has_database_privilege($2, $1, 'CONNECT')", database, Names.DedicatedRole(slug)));
        Assert.False(await server.ScalarAsync<bool>("postgres", "SELECT has_database_privilege($2, $1, 'CONNECT')", database, Names.AppRole));
    }

    [Fact]
    [Trait("Category", "Isolation")]
    public async Task DedicatedRole_OwnDatabase_CanConnectAndOnlyThere()
    {
        var slug = Slugs.Unique("own");
        var other = Slugs.Unique("other");
        await _database.Catalog.CreateAsync(slug, TenancyMode.Dedicated, Ct);
        await _database.Catalog.CreateAsync(other, TenancyMode.Dedicated, Ct);

        var own = await ConnectAsTenantRoleAsync(slug, Names.DedicatedDatabase(slug));
        var otherTenant = await Assert.ThrowsAsync<PostgresException>(() => ConnectAsTenantRoleAsync(slug, Names.DedicatedDatabase(other)));
        var shared = await Assert.ThrowsAsync<PostgresException>(() => ConnectAsTenantRoleAsync(slug, Names.Shared));
        var catalog = await Assert.ThrowsAsync<PostgresException>(() => ConnectAsTenantRoleAsync(slug, Names.Catalog));
        var template = await Assert.ThrowsAsync<PostgresException>(() => ConnectAsTenantRoleAsync(slug, Names.Template));

        var maintenance = new List<PostgresException>();
        if (server.IsEmbedded)
        {
            // On the embedded cluster not even the maintenance databases are open to a tenant's role.
            maintenance.Add(await Assert.ThrowsAsync<PostgresException>(() => ConnectAsTenantRoleAsync(slug, "postgres")));
            maintenance.Add(await Assert.ThrowsAsync<PostgresException>(() => ConnectAsTenantRoleAsync(slug, "template1")));
        }

        Assert.Equal((Names.DedicatedRole(slug), Names.DedicatedDatabase(slug)), own);
        Assert.All(new[] { otherTenant, shared, catalog, template }.Concat(maintenance), ex =>
        {
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, ex.SqlState);
            Assert.StartsWith("permission denied for database", ex.MessageText, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task DeleteAsync_DedicatedTenant_ReportsCountsAndDropsDatabaseAndRole()
    {
        var slug = Slugs.Unique("drop");
        var id = (await _database.Catalog.CreateAsync(slug, TenancyMode.Dedicated, Ct)).Id;
        await WriteFromAnotherProcessAsync(slug, async writer =>
        {
            var docs = await TenantRows.InsertDocumentsAsync(writer, slug, "a", "b");
            await TenantRows.InsertChunksAsync(writer, slug, docs[0], 3);
            await TenantRows.InsertChunksAsync(writer, slug, docs[1], 4);
        });
        var database = Names.DedicatedDatabase(slug);
        Assert.Equal(2L, await CountRowsAsync(database, id));

        var deletion = await _database.Catalog.DeleteAsync(slug, Ct);

        Assert.Equal(2, deletion.Documents);
        Assert.Equal(7, deletion.Chunks);
        Assert.Equal(database, deletion.DroppedDatabase);
        Assert.Equal(Names.DedicatedRole(slug), deletion.DroppedRole);
        Assert.False(await server.DatabaseExistsAsync(database));
        Assert.False(await server.RoleExistsAsync(Names.DedicatedRole(slug)));
        Assert.Null(await _database.Catalog.FindAsync(slug, Ct));
        Assert.Equal(0L, await server.ScalarAsync<long>(Names.Catalog, "SELECT count(*) FROM tenantrag.schema_versions WHERE database_name = $1", database));
        Assert.Equal(1L, await server.ScalarAsync<long>(Names.Catalog,
            "SELECT count(*) FROM tenantrag.audit_log WHERE action = 'tenant.delete' AND tenant = $1 AND details ->> 'chunks' = '7'", slug.Value));
    }

    [Theory]
    [InlineData(TenancyMode.Shared, TenancyMode.Shared)]
    [InlineData(TenancyMode.Shared, TenancyMode.Dedicated)]
    [InlineData(TenancyMode.Dedicated, TenancyMode.Shared)]
    [InlineData(TenancyMode.Dedicated, TenancyMode.Dedicated)]
    public async Task CreateAsync_DuplicateSlug_ThrowsAndChangesNothing(TenancyMode first, TenancyMode second)
    {
        var slug = Slugs.Unique("twice");
        await _database.Catalog.CreateAsync(slug, first, Ct);
        await TenantRows.InsertDocumentsAsync(_database, slug, "keep me");
        var original = await _database.Catalog.FindAsync(slug, Ct);
        Assert.NotNull(original);
        var databasesBefore = await DatabaseNamesAsync();
        var auditBefore = await server.ScalarAsync<long>(Names.Catalog, "SELECT count(*) FROM tenantrag.audit_log WHERE tenant = $1", slug.Value);

        var ex = await Assert.ThrowsAsync<TenantAlreadyExistsException>(() => _database.Catalog.CreateAsync(slug, second, Ct));

        Assert.Equal(slug, ex.Slug);
        Assert.Equal(1, ex.ExitCode);
        Assert.Contains("already exists", ex.Message, StringComparison.Ordinal);
        Assert.Equal(original, await _database.Catalog.FindAsync(slug, Ct));
        Assert.Equal(databasesBefore, await DatabaseNamesAsync());
        Assert.Equal(auditBefore, await server.ScalarAsync<long>(Names.Catalog, "SELECT count(*) FROM tenantrag.audit_log WHERE tenant = $1", slug.Value));
        Assert.Equal(1L, await CountRowsAsync(original.Database, original.Id));
        Assert.Equal(first == TenancyMode.Dedicated, await server.RoleExistsAsync(Names.DedicatedRole(slug)));
    }

    [Fact]
    public async Task UnknownTenant_FindDeleteAndOpen_NotFound()
    {
        var slug = Slugs.Unique("nobody");
        var count = (await _database.Catalog.ListAsync(Ct)).Count;

        var found = await _database.Catalog.FindAsync(slug, Ct);
        var delete = await Assert.ThrowsAsync<TenantNotFoundException>(() => _database.Catalog.DeleteAsync(slug, Ct));
        var open = await Assert.ThrowsAsync<TenantNotFoundException>(() => _database.Sessions.OpenSessionAsync(TenantContext.For(slug, UserId.Parse("u1")), Ct));

        Assert.Null(found);
        Assert.Equal(slug, delete.Slug);
        Assert.Equal(slug, open.Slug);
        Assert.Equal(1, delete.ExitCode);
        Assert.Equal(count, (await _database.Catalog.ListAsync(Ct)).Count);
        Assert.Equal(0L, await server.ScalarAsync<long>(Names.Catalog, "SELECT count(*) FROM tenantrag.audit_log WHERE tenant = $1", slug.Value));
    }

    [Fact]
    public async Task CreateAsync_AfterDelete_StartsEmpty()
    {
        var slug = Slugs.Unique("again");
        await _database.Catalog.CreateAsync(slug, TenancyMode.Dedicated, Ct);
        await WriteFromAnotherProcessAsync(slug, writer => TenantRows.InsertDocumentsAsync(writer, slug, "old"));
        await _database.Catalog.DeleteAsync(slug, Ct);

        var recreated = await _database.Catalog.CreateAsync(slug, TenancyMode.Dedicated, Ct);

        Assert.Equal("active", recreated.Status);
        Assert.Equal(0L, await server.ScalarAsync<long>(recreated.Database, "SELECT count(*) FROM public.documents"));
        await using var session = await _database.Sessions.OpenSessionAsync(TenantContext.For(slug, UserId.Parse("u1")), Ct);
        await using var cmd = session.CreateCommand("SELECT count(*) FROM documents");
        Assert.Equal(0L, await cmd.ExecuteScalarAsync(Ct));
    }

    // Writes a dedicated tenant's rows through a second installation instance (as another process would) and waits
    // until its backends have exited, so the counts the delete reports are settled. Deleting while sessions are open
    // is covered by TenantDeletionTests.
    private async Task WriteFromAnotherProcessAsync(TenantSlug slug, Func<TenantRagDatabase, Task> write)
    {
        await using (var writer = await server.OpenInstallationAsync(Prefix))
        {
            await write(writer);
        }

        var role = Names.DedicatedRole(slug);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await server.ScalarAsync<long>("postgres", "SELECT count(*) FROM pg_stat_activity WHERE usename = $1", role) > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, $"connections of {role} did not close");
            await Task.Delay(50, Ct);
        }
    }

    private Task<long> CountRowsAsync(string database, string tenantId) =>
        server.ScalarAsync<long>(database, "SELECT count(*) FROM public.documents WHERE tenant_id = $1", tenantId);

    private async Task<List<string>> DatabaseNamesAsync() =>
        [.. (await server.QueryAsync("postgres", "SELECT datname FROM pg_database WHERE datname LIKE $1 ORDER BY datname", Prefix.Replace("_", "\\_") + "\\_%")).Select(r => (string)r[0]!)];

    private async Task<(string User, string Database)> ConnectAsTenantRoleAsync(TenantSlug slug, string database)
    {
        var builder = new NpgsqlConnectionStringBuilder(_database.Installation.DedicatedConnectionString(slug))
        {
            Database = database,
            Pooling = false,
            ApplicationName = "tenantrag-tests",
        };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var cmd = new NpgsqlCommand("SELECT current_user, current_database()", connection);
        await using var reader = await cmd.ExecuteReaderAsync(Ct);
        await reader.ReadAsync(Ct);
        return (reader.GetString(0), reader.GetString(1));
    }
}
