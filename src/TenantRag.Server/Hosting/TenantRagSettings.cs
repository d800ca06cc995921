using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using TenantRag.Postgres;
using TenantRag.Postgres.Cluster;
using TenantRag.Postgres.Installation;
using TenantRag.Rag.Ingestion;
using TenantRag.Server;
using TenantRag.Server.Auth;
using TenantRag.Server.Jobs;
using TenantRag.Server.Observability;

namespace TenantRag.Hosting;

/// <summary>
/// Every setting of the <c>TenantRag</c> configuration section, bound and validated once, when the services are
/// registered: a host with a bad setting refuses to start before it opens the database.
/// </summary>
public sealed class TenantRagSettings
{
    /// <summary>The configuration section every setting lives in (<c>TenantRag:Limits:Burst</c>, <c>TenantRag__Limits__Burst</c>).</summary>
    public const string SectionName = "TenantRag";

    private TenantRagSettings(TenantRagHome home, string? databaseUrl, TenancyOptions tenancy, AuthOptions auth, ServerOptions server,
        IngestionOptions ingestion, JobOptions jobs, TelemetryOptions telemetry)
    {
        Telemetry = telemetry;
        Home = home;
        DatabaseUrl = databaseUrl;
        Tenancy = tenancy;
        Auth = auth;
        Server = server;
        Ingestion = ingestion;
        Jobs = jobs;
    }

    /// <summary>
    /// Where the installation keeps its secrets, the embedded cluster, upload spool and keys: <c>TenantRag:Home</c>, else
    /// <c>$TENANTRAG_HOME</c>, else <c>./.tenantrag</c>.
    /// </summary>
    public TenantRagHome Home { get; }

    /// <summary>
    /// The PostgreSQL server (<c>TenantRag:Database:Url</c>, else <c>$TENANTRAG_DATABASE_URL</c>); null for the embedded
    /// cluster under <see cref="Home"/>, started on demand.
    /// </summary>
    public string? DatabaseUrl { get; }

    /// <summary>Names, pools and caches (<c>TenantRag:Database</c>).</summary>
    public TenancyOptions Tenancy { get; }

    /// <summary>Identity: who signs tokens, which claim names the tenant (<c>TenantRag:Auth</c>).</summary>
    public AuthOptions Auth { get; }

    /// <summary>Auto-provisioning, rate limits and the embedding model's settings (<c>TenantRag:Tenancy</c>, <c>:Limits</c>, <c>:Embeddings</c>).</summary>
    public ServerOptions Server { get; }

    /// <summary>The limits of one file (<c>TenantRag:Ingestion</c>).</summary>
    public IngestionOptions Ingestion { get; }

    /// <summary>Upload jobs: workers, leases, retries, retention (<c>TenantRag:Jobs</c>).</summary>
    public JobOptions Jobs { get; }

    /// <summary>Export of traces and metrics (<c>TenantRag:Telemetry</c>).</summary>
    public TelemetryOptions Telemetry { get; }

    /// <summary>
    /// Opens the installation these settings name: the server of <see cref="DatabaseUrl"/>, else the embedded cluster
    /// under <see cref="Home"/> (started on demand); bootstraps and migrates as needed.
    /// </summary>
    /// <param name="tenancy">Names, pools and caches; null for <see cref="Tenancy"/>.</param>
    /// <param name="loggerFactory">The host's logging, for Npgsql's logs of the pools; null for none.</param>
    /// <param name="cancellationToken">Cancels the open.</param>
    public Task<TenantRagDatabase> OpenDatabaseAsync(TenancyOptions? tenancy = null, ILoggerFactory? loggerFactory = null,
        CancellationToken cancellationToken = default) => DatabaseUrl is { } url
        ? TenantRagDatabase.OpenAsync(ServerEndpoint.Parse(url), Secrets.LoadOrCreate(Home), tenancy ?? Tenancy, loggerFactory: loggerFactory,
            cancellationToken: cancellationToken)
        : TenantRagDatabase.OpenAsync(Home, tenancy ?? Tenancy, loggerFactory: loggerFactory, cancellationToken: cancellationToken);

    /// <summary>Binds and validates the <c>TenantRag</c> section of <paramref name="configuration"/>.</summary>
    /// <exception cref="UsageException">A setting is of the wrong type or out of range (the message names it).</exception>
    public static TenantRagSettings Read(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(SectionName);
        try
        {
            var home = section["Home"] is { Length: > 0 } root ? new TenantRagHome(root) : TenantRagHome.FromEnvironment();
            var url = section["Database:Url"] is { Length: > 0 } configured ? configured
                : Environment.GetEnvironmentVariable("TENANTRAG_DATABASE_URL") is { Length: > 0 } variable ? variable : null;
            var tenancy = new TenancyOptions();
            section.GetSection("Database").Bind(tenancy);
            var auth = section.GetSection("Auth").Get<AuthOptions>() ?? new AuthOptions();
            var server = new ServerOptions();
            section.GetSection("Tenancy").Bind(server);
            section.GetSection("Limits").Bind(server);
            section.GetSection("Embeddings").Bind(server);
            var jobs = new JobOptions();
            section.GetSection("Jobs").Bind(jobs);
            tenancy.Validate();
            auth.Validate();
            server.Validate();
            jobs.Validate();
            return new TenantRagSettings(home, url, tenancy, auth, server, IngestionSettings.Read(section.GetSection(IngestionSettings.Section)), jobs,
                TelemetryOptions.Read(section.GetSection("Telemetry")));
        }
        catch (InvalidOperationException ex) when (ex.InnerException is FormatException or ArgumentException or OverflowException)
        {
            // The binder names the key and the value: "Failed to convert configuration value 'x' at 'TenantRag:Limits:Burst' to type ...".
            throw new UsageException($"a setting has a value of the wrong type: {ex.Message}");
        }
    }
}
