using Microsoft.Extensions.Logging;
using TenantRag.Postgres.Cluster;
using TenantRag.Postgres.Documents;
using TenantRag.Postgres.Installation;
using TenantRag.Postgres.Jobs;
using TenantRag.Postgres.Pooler;
using TenantRag.Postgres.Tenancy;
using TenantRag.Postgres.Usage;


namespace TenantRag.Postgres;

/// <summary>
/// The composed data layer of one process: the installation (bootstrapped and migrated on open), the pool registry,
/// tenant sessions and the tenant catalog. Dispose it to close every pool.
/// </summary>
public sealed class TenantRagDatabase : IAsyncDisposable
{
    private TenantRagDatabase(Installation.Installation installation, IReadOnlyList<string> notices, ILoggerFactory? loggerFactory)
    {
        Installation = installation;
        Notices = notices;
        Registry = new DataSourceRegistry(installation.Options.IdleTimeout, installation.Options.MaxOpenPools, loggerFactory);
        Sessions = new TenantConnectionFactory(installation, Registry);
        Catalog = new PostgresTenantCatalog(installation, Registry, Sessions);
        Documents = new PostgresDocumentRepository(Sessions, DocumentCursor.For(installation.Secrets));
        Search = new PostgresSearchStore(Sessions);
        Snapshots = new IndexSnapshotStore(Sessions);
        Usage = new UsageStore(Sessions);
        UsageLedger = new UsageLedger(this);
        Jobs = new IngestJobStore(Sessions);
        JobQueue = new IngestJobQueue(this);
    }

    /// <summary>Upload jobs, through tenant sessions.</summary>
    public IngestJobStore Jobs { get; }

    /// <summary>The job workers' queue (claims, leases, completion).</summary>
    public IngestJobQueue JobQueue { get; }

    /// <summary>Metered usage, through tenant sessions (the caller's tenant).</summary>
    public UsageStore Usage { get; }

    /// <summary>Metered usage of every tenant, as the admin: reports and the roll-up of past days.</summary>
    public UsageLedger UsageLedger { get; }

    /// <summary>Documents, through tenant sessions.</summary>
    public PostgresDocumentRepository Documents { get; }

    /// <summary>Read sessions for retrieval.</summary>
    public PostgresSearchStore Search { get; }

    /// <summary>Persisted retrieval index snapshots (written here, read in search sessions).</summary>
    public IndexSnapshotStore Snapshots { get; }

    /// <summary>Server, names, secrets and settings.</summary>
    public Installation.Installation Installation { get; }

    /// <summary>What start-up repaired or changed (stale pid file, port taken), one line each.</summary>
    public IReadOnlyList<string> Notices { get; }

    /// <summary>The pools, one per database and role.</summary>
    public DataSourceRegistry Registry { get; }

    /// <summary>Opens tenant sessions.</summary>
    public TenantConnectionFactory Sessions { get; }

    /// <summary>Tenant lifecycle.</summary>
    public PostgresTenantCatalog Catalog { get; }

    /// <summary>
    /// Opens the installation this environment names: <c>TENANTRAG_DATABASE_URL</c> if set, else the embedded cluster
    /// under <paramref name="home"/> (started on demand). Bootstraps and migrates as needed.
    /// </summary>
    /// <param name="home">The installation's home (secrets, the embedded cluster).</param>
    /// <param name="options">Tenancy settings; null for the defaults.</param>
    /// <param name="clusterOptions">Settings of the embedded cluster; null for the defaults.</param>
    /// <param name="loggerFactory">The host's logging, for Npgsql's logs of the pools; null for none.</param>
    /// <param name="cancellationToken">Cancels the open.</param>
    public static async Task<TenantRagDatabase> OpenAsync(TenantRagHome home, TenancyOptions? options = null,
        EmbeddedClusterOptions? clusterOptions = null, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        var secrets = Secrets.LoadOrCreate(home);
        IReadOnlyList<string> notices = [];
        ServerEndpoint endpoint;
        if (Environment.GetEnvironmentVariable("TENANTRAG_DATABASE_URL") is { Length: > 0 } url)
        {
            endpoint = ServerEndpoint.Parse(url);
        }
        else
        {
            var cluster = await EmbeddedCluster.OpenAsync(home, secrets, clusterOptions, cancellationToken).ConfigureAwait(false);
            endpoint = await cluster.EnsureStartedAsync(cancellationToken).ConfigureAwait(false);
            notices = cluster.Notices;
            if (options?.PoolerUrl is null && EmbeddedPooler.IsRecorded(home))
            {
                // 'db start --pooler' asked for one: it comes back with the cluster, and serving goes through it. The
                // caller's settings stay as they were: this installation's pooler goes into a copy of them.
                options = options?.Copy() ?? new TenancyOptions();
                options.PoolerUrl = (await EmbeddedPooler.EnsureStartedAsync(home, endpoint, secrets, options, cancellationToken).ConfigureAwait(false)).Address;
            }
        }

        return await OpenAsync(endpoint, secrets, options, notices, loggerFactory, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Opens an installation on a known server, bootstrapping and migrating it as needed.</summary>
    /// <param name="endpoint">The server.</param>
    /// <param name="secrets">The installation's passwords and keys.</param>
    /// <param name="options">Tenancy settings; null for the defaults.</param>
    /// <param name="notices">What start-up repaired, passed on to <see cref="Notices"/>.</param>
    /// <param name="loggerFactory">The host's logging, for Npgsql's logs of the pools; null for none.</param>
    /// <param name="cancellationToken">Cancels the open.</param>
    public static async Task<TenantRagDatabase> OpenAsync(ServerEndpoint endpoint, Secrets secrets, TenancyOptions? options = null,
        IReadOnlyList<string>? notices = null, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        var installation = new Installation.Installation(endpoint, secrets, options);
        await new Installer(installation).EnsureAsync(cancellationToken).ConfigureAwait(false);
        return new TenantRagDatabase(installation, notices ?? [], loggerFactory);
    }

    /// <summary>Bytes on disk of <paramref name="database"/> (<c>pg_database_size</c>).</summary>
    public async Task<long> DatabaseSizeAsync(string database, CancellationToken cancellationToken = default)
    {
        using var admin = Registry.Admin(Installation, Installation.Names.Catalog);
        await using var cmd = admin.DataSource.CreateCommand("SELECT pg_database_size($1)");
        cmd.Parameters.Add(new() { Value = database });
        return (long)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => Registry.DisposeAsync();
}
