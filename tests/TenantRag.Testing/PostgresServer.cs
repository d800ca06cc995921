using System.Collections.Concurrent;
using Npgsql;
using TenantRag.Postgres;
using TenantRag.Postgres.Cluster;
using TenantRag.Postgres.Installation;
using Xunit;

namespace TenantRag.Testing;

/// <summary>
/// One real PostgreSQL for a whole test assembly (declare it with <c>[assembly: AssemblyFixture(typeof(PostgresServer))]</c>).
/// Uses the superuser URL in <c>TENANTRAG_TEST_DB</c> when set; otherwise runs a throwaway embedded cluster
/// (<c>initdb</c> + <c>pg_ctl</c>, no fsync) under a temporary home, stopped and deleted on dispose.
/// Test classes keep apart by each opening its own installation prefix (<see cref="OpenInstallationAsync"/>).
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    /// <summary>The environment variable naming an external superuser URL to test against.</summary>
    public const string ExternalServerVariable = "TENANTRAG_TEST_DB";

    // Application name of the helper's own connections, so they never count as TenantRag's ('tenantrag').
    private const string ApplicationName = "tenantrag-tests";

    // Installation prefixes used on the server, and whether this run created them (only those are dropped at the end).
    private readonly ConcurrentDictionary<string, Task<bool>> _prefixes = new(StringComparer.Ordinal);
    private EmbeddedCluster? _cluster;
    private ServerEndpoint? _endpoint;
    private Secrets? _secrets;
    private TenantRagHome? _home;

    /// <summary>The server, reached as its superuser.</summary>
    public ServerEndpoint Endpoint => _endpoint ?? throw NotStarted();

    /// <summary>Generated passwords of the installations opened here (the superuser's too when embedded).</summary>
    public Secrets Secrets => _secrets ?? throw NotStarted();

    /// <summary>The throwaway home (the embedded cluster's data directory and the secrets file).</summary>
    public TenantRagHome Home => _home ?? throw NotStarted();

    /// <summary>True when the server is the throwaway embedded cluster, false for <c>TENANTRAG_TEST_DB</c>.</summary>
    public bool IsEmbedded => _cluster is not null;

    /// <summary>The superuser as a <c>postgres://</c> URL, as <c>TENANTRAG_DATABASE_URL</c> takes it.</summary>
    public string DatabaseUrl =>
        $"postgres://{Uri.EscapeDataString(Endpoint.BootstrapUsername)}:{Uri.EscapeDataString(Endpoint.BootstrapPassword)}@{Endpoint.Host}:{Endpoint.Port}/{Uri.EscapeDataString(Endpoint.BootstrapDatabase)}";

    /// <inheritdoc />
    public async ValueTask InitializeAsync()
    {
        var root = Path.Combine(Path.GetTempPath(), "tenantrag-test-" + Slugs.RandomLetters(10));
        _home = new TenantRagHome(root);
        _secrets = Secrets.LoadOrCreate(_home);
        if (Environment.GetEnvironmentVariable(ExternalServerVariable) is { Length: > 0 } url)
        {
            _endpoint = ServerEndpoint.Parse(url);
        }
        else
        {
            _cluster = await EmbeddedCluster.OpenAsync(_home, _secrets, new EmbeddedClusterOptions { Durable = false }).ConfigureAwait(false);
            _endpoint = await _cluster.EnsureStartedAsync().ConfigureAwait(false);
        }

        HasVectorExtension = await ScalarAsync<long>("postgres", "SELECT count(*) FROM pg_available_extensions WHERE name = 'vector'").ConfigureAwait(false) > 0;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        try
        {
            if (_cluster is not null)
            {
                await _cluster.StopAsync(immediate: true).ConfigureAwait(false);
            }
            else if (_endpoint is not null)
            {
                await DropInstallationsAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            if (_home is not null && Directory.Exists(_home.Root))
            {
                Directory.Delete(_home.Root, recursive: true);
            }
        }
    }

    /// <summary>True when the server offers the pgvector extension (<c>pg_available_extensions</c>).</summary>
    public bool HasVectorExtension { get; private set; }

    /// <summary>
    /// Tenancy options for an installation named by <paramref name="prefix"/> (<c>^[a-z][a-z0-9_]{0,14}$</c>, one per
    /// test class). The prefix is remembered: on an external server what this run created under it is dropped at the end.
    /// </summary>
    public async Task<TenancyOptions> OptionsAsync(string prefix, Action<TenancyOptions>? configure = null)
    {
        await TrackPrefixAsync(prefix).ConfigureAwait(false);
        var options = new TenancyOptions { Prefix = prefix };
        configure?.Invoke(options);
        return options;
    }

    /// <summary>
    /// Remembers an installation prefix that something other than <see cref="OptionsAsync"/> uses (the command line
    /// uses 'tenantrag'); call it before that installation is first opened.
    /// </summary>
    public Task TrackPrefixAsync(string prefix) =>
        _prefixes.GetOrAdd(prefix, p => CatalogMissingAsync(new InstallationNames(p).Catalog));

    /// <summary>Opens (bootstrapping and migrating on first use) the installation named by <paramref name="prefix"/>.</summary>
    public async Task<TenantRagDatabase> OpenInstallationAsync(string prefix, Action<TenancyOptions>? configure = null) =>
        await TenantRagDatabase.OpenAsync(Endpoint, Secrets, await OptionsAsync(prefix, configure).ConfigureAwait(false),
            cancellationToken: TestContext.Current.CancellationToken).ConfigureAwait(false);

    /// <summary>A superuser connection string to <paramref name="database"/>, unpooled, not named 'tenantrag'.</summary>
    public string SuperuserConnectionString(string database = "postgres")
    {
        var builder = Endpoint.ConnectionString(Endpoint.BootstrapUsername, Endpoint.BootstrapPassword, database);
        builder.ApplicationName = ApplicationName;
        builder.Pooling = false;
        return builder.ConnectionString;
    }

    /// <summary>Opens a superuser connection to <paramref name="database"/> (bypasses row-level security).</summary>
    public async Task<NpgsqlConnection> OpenSuperuserConnectionAsync(string database = "postgres")
    {
        var connection = new NpgsqlConnection(SuperuserConnectionString(database));
        await connection.OpenAsync(TestContext.Current.CancellationToken).ConfigureAwait(false);
        return connection;
    }

    /// <summary>Runs <paramref name="sql"/> as the superuser on <paramref name="database"/>; parameters are <c>$1</c>, <c>$2</c>...</summary>
    public async Task<int> ExecuteAsync(string database, string sql, params object?[] parameters)
    {
        await using var connection = await OpenSuperuserConnectionAsync(database).ConfigureAwait(false);
        await using var cmd = Command(connection, sql, parameters);
        return await cmd.ExecuteNonQueryAsync(TestContext.Current.CancellationToken).ConfigureAwait(false);
    }

    /// <summary>The first column of the first row of <paramref name="sql"/>, run as the superuser.</summary>
    public async Task<T> ScalarAsync<T>(string database, string sql, params object?[] parameters)
    {
        await using var connection = await OpenSuperuserConnectionAsync(database).ConfigureAwait(false);
        await using var cmd = Command(connection, sql, parameters);
        var value = await cmd.ExecuteScalarAsync(TestContext.Current.CancellationToken).ConfigureAwait(false);
        return value is DBNull or null ? default! : (T)value;
    }

    /// <summary>Every row of <paramref name="sql"/>, run as the superuser, as arrays of column values (DBNull as null).</summary>
    public async Task<IReadOnlyList<object?[]>> QueryAsync(string database, string sql, params object?[] parameters)
    {
        await using var connection = await OpenSuperuserConnectionAsync(database).ConfigureAwait(false);
        await using var cmd = Command(connection, sql, parameters);
        await using var reader = await cmd.ExecuteReaderAsync(TestContext.Current.CancellationToken).ConfigureAwait(false);
        var rows = new List<object?[]>();
        while (await reader.ReadAsync(TestContext.Current.CancellationToken).ConfigureAwait(false))
        {
            var row = new object?[reader.FieldCount];
            reader.GetValues(row!);
            rows.Add([.. row.Select(v => v is DBNull ? null : v)]);
        }

        return rows;
    }

    /// <summary>Whether a database of that name exists on the server.</summary>
    public async Task<bool> DatabaseExistsAsync(string database) =>
        await ScalarAsync<long>("postgres", "SELECT count(*) FROM pg_database WHERE datname = $1", database).ConfigureAwait(false) == 1;

    /// <summary>Whether a role of that name exists on the server.</summary>
    public async Task<bool> RoleExistsAsync(string role) =>
        await ScalarAsync<long>("postgres", "SELECT count(*) FROM pg_roles WHERE rolname = $1", role).ConfigureAwait(false) == 1;

    /// <summary>How many connections TenantRag (application name 'tenantrag') has open to <paramref name="database"/>.</summary>
    public Task<long> CountTenantRagConnectionsAsync(string database, string? role = null) =>
        ScalarAsync<long>("postgres", "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'tenantrag' AND ($2::text IS NULL OR usename = $2)", database, role);

    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql, object?[] parameters)
    {
        var cmd = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = parameter ?? DBNull.Value });
        }

        return cmd;
    }

    private async Task<bool> CatalogMissingAsync(string catalog)
    {
        await using var connection = new NpgsqlConnection(SuperuserConnectionString());
        await connection.OpenAsync().ConfigureAwait(false);
        await using var cmd = Command(connection, "SELECT count(*) FROM pg_database WHERE datname = $1", [catalog]);
        return (long)(await cmd.ExecuteScalarAsync().ConfigureAwait(false))! == 0;
    }

    // An external server outlives the run: drop the installations this run created there (databases, then roles).
    // Installations that existed before the run are left alone.
    private async Task DropInstallationsAsync()
    {
        await using var connection = new NpgsqlConnection(SuperuserConnectionString());
        await connection.OpenAsync().ConfigureAwait(false);
        foreach (var (prefix, createdByThisRun) in _prefixes)
        {
            if (!await createdByThisRun.ConfigureAwait(false))
            {
                continue;
            }

            var names = new InstallationNames(prefix);
            var pattern = prefix.Replace("_", "\\_", StringComparison.Ordinal) + "\\_t\\_%";
            await DropAllAsync(connection, "SELECT datname FROM pg_database WHERE datname IN ($1, $2, $3) OR datname LIKE $4",
                [names.Catalog, names.Template, names.Shared, pattern], name => $"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)").ConfigureAwait(false);
            await DropAllAsync(connection, "SELECT rolname FROM pg_roles WHERE rolname IN ($1, $2) OR rolname LIKE $3",
                [names.AdminRole, names.AppRole, pattern], name => $"DROP ROLE IF EXISTS \"{name}\"").ConfigureAwait(false);
        }
    }

    private static async Task DropAllAsync(NpgsqlConnection connection, string query, object[] parameters, Func<string, string> drop)
    {
        var names = new List<string>();
        await using (var cmd = Command(connection, query, parameters))
        await using (var reader = await cmd.ExecuteReaderAsync().ConfigureAwait(false))
        {
            while (await reader.ReadAsync().ConfigureAwait(false))
            {
                names.Add(reader.GetString(0));
            }
        }

        foreach (var name in names)
        {
            await using var cmd = new NpgsqlCommand(drop(name), connection);
            await cmd.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
    }

    private static InvalidOperationException NotStarted() => new("the PostgresServer fixture has not been initialised");
}
