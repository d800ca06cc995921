using Npgsql;
using TenantRag.Postgres.Audit;
using TenantRag.Testing;

namespace TenantRag.Postgres.Tests;

/// <summary>
/// A scratch copy of an installation's migrated template holding rows of two tenants, <c>acme</c> (whose user alice
/// every principal query acts for) and <c>initech</c>, that the serving role may connect to. Audit tests break
/// isolation in it on purpose and prove each break with a real query as a principal.
/// </summary>
internal sealed class AuditScratch : IAsyncDisposable
{
    /// <summary>Usage events of both tenants (again after a test wiped them).</summary>
    public const string UsageSql = "INSERT INTO public.usage_events (tenant_id, queries) VALUES ('acme', 1), ('initech', 7)";

    /// <summary>Gives initech rows in every tenant table (two documents, six chunks, usage) and acme a document and usage.</summary>
    public const string SeedSql = $"""
        INSERT INTO tenantrag.tenant_registry (id, slug) VALUES ('acme', 'acme'), ('initech', 'initech');
        INSERT INTO public.documents (tenant_id, owner_id, title, content_hash) VALUES
            ('acme', 'alice', 'Acme plan', 'a'), ('initech', 'bob', 'Initech secret', 'b'), ('initech', 'bob', 'Initech merger', 'c');
        INSERT INTO public.chunks (document_id, tenant_id, owner_id, ordinal, content)
            SELECT id, tenant_id, owner_id, n, 'chunk ' || n FROM public.documents, generate_series(0, 2) AS n WHERE tenant_id = 'initech';
        {UsageSql};
        """;

    /// <summary>The tenant every principal query acts for.</summary>
    public const string Tenant = "acme";

    private readonly PostgresServer _server;
    private readonly TenantRagDatabase _database;

    private AuditScratch(PostgresServer server, TenantRagDatabase database, string name)
    {
        _server = server;
        _database = database;
        Name = name;
    }

    /// <summary>The scratch database's name.</summary>
    public string Name { get; }

    /// <summary>
    /// Opens the installation named by <paramref name="prefix"/> and copies its template (owned by the admin role,
    /// CONNECT for the serving role only), seeded with both tenants' rows.
    /// </summary>
    public static async Task<AuditScratch> CreateAsync(PostgresServer server, string prefix)
    {
        var database = await server.OpenInstallationAsync(prefix);
        var names = database.Installation.Names;
        var scratch = new AuditScratch(server, database, $"{names.Prefix}_scr_{Slugs.RandomLetters(8)}");
        try
        {
            await server.ExecuteAsync("postgres", $"CREATE DATABASE \"{scratch.Name}\" TEMPLATE \"{names.Template}\" OWNER \"{names.AdminRole}\"");
            await server.ExecuteAsync("postgres", $"REVOKE ALL ON DATABASE \"{scratch.Name}\" FROM PUBLIC; GRANT CONNECT ON DATABASE \"{scratch.Name}\" TO \"{names.AppRole}\"");
            await server.ExecuteAsync(scratch.Name, SeedSql);
            return scratch;
        }
        catch
        {
            await scratch.DisposeAsync();
            throw;
        }
    }

    /// <summary>The installation the scratch database was copied from.</summary>
    public TenantRagDatabase Database => _database;

    /// <summary>The audit of this database alone.</summary>
    public Task<IReadOnlyList<AuditFinding>> AuditAsync() =>
        new IsolationAuditor(_database).AuditDatabaseAsync(Name, TestContext.Current.CancellationToken);

    /// <summary>Runs <paramref name="statements"/> as the serving role here, for tenant acme (see <see cref="RunAsync"/>), rolled back.</summary>
    public Task<long?> AsAppAsync(string? role, params string[] statements) => AsAppAsync(commit: false, role, statements);

    /// <summary>Runs <paramref name="statements"/> as the serving role here, for tenant acme (see <see cref="RunAsync"/>).</summary>
    public Task<long?> AsAppAsync(bool commit, string? role, params string[] statements) =>
        RunAsync(_database.Installation.AppConnectionString(Name, 1), role, Tenant, commit, statements);

    /// <summary>Runs <paramref name="statements"/> as the admin role here, with no tenant context, rolled back.</summary>
    public Task<long?> AsAdminAsync(params string[] statements) =>
        RunAsync(_database.Installation.AdminConnectionString(Name), null, null, false, statements);

    /// <summary>Logs in with <paramref name="connectionString"/> and runs <see cref="RunInTransactionAsync"/> once.</summary>
    public static async Task<long?> RunAsync(string connectionString, string? role, string? tenant, bool commit, params string[] statements)
    {
        try
        {
            await using var dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
            await using var connection = await dataSource.OpenConnectionAsync(TestContext.Current.CancellationToken);
            return await RunInTransactionAsync(connection, role, tenant, commit, statements);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            // A refused login ("permission denied for database").
            return null;
        }
    }

    /// <summary>
    /// Runs <paramref name="statements"/> in one transaction that begins like a tenant session (<c>SET LOCAL ROLE</c>
    /// <paramref name="role"/> unless null, then <paramref name="tenant"/> and user alice unless the tenant is null);
    /// returns the last statement's first value as a number (true is 1, nothing is 0), or null when PostgreSQL refuses
    /// (insufficient privilege, a row-level security violation) or the object is not there.
    /// </summary>
    public static async Task<long?> RunInTransactionAsync(NpgsqlConnection connection, string? role, string? tenant, bool commit, params string[] statements)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var tx = await connection.BeginTransactionAsync(ct);
        try
        {
            if (role is not null)
            {
                await using var setRole = new NpgsqlCommand($"SET LOCAL ROLE \"{role}\"", connection, tx);
                await setRole.ExecuteNonQueryAsync(ct);
            }

            if (tenant is not null)
            {
                await using var context = new NpgsqlCommand(
                    "SELECT set_config('request.jwt.claims', '{\"sub\":\"alice\"}', true), set_config('tenantrag.tenant_id', $1, true)", connection, tx);
                context.Parameters.Add(new() { Value = tenant });
                await context.ExecuteNonQueryAsync(ct);
            }

            object? last = null;
            foreach (var statement in statements)
            {
                await using var cmd = new NpgsqlCommand(statement, connection, tx);
                last = await cmd.ExecuteScalarAsync(ct);
            }

            if (commit)
            {
                await tx.CommitAsync(ct);
            }

            return last switch { bool b => b ? 1 : 0, null or DBNull => 0, _ => Convert.ToInt64(last, System.Globalization.CultureInfo.InvariantCulture) };
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.InsufficientPrivilege or PostgresErrorCodes.UndefinedTable
            or PostgresErrorCodes.UndefinedFunction or PostgresErrorCodes.InvalidSchemaName)
        {
            return null;
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _server.ExecuteAsync("postgres", $"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)");
        await _database.DisposeAsync();
    }
}
