using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using TenantRag.Documents;
using TenantRag.Postgres;
using TenantRag.Postgres.Documents;
using TenantRag.Postgres.Jobs;
using TenantRag.Retrieval;
using TenantRag.Server;
using TenantRag.Tenancy;

namespace TenantRag.Hosting;

/// <summary>Registers TenantRag in a host: <c>builder.Services.AddTenantRag(builder.Configuration)</c>.</summary>
public static class TenantRagServiceCollectionExtensions
{
    /// <summary>
    /// Binds and validates the <c>TenantRag</c> configuration section (<see cref="TenantRagSettings"/>) and registers what
    /// serves tenants: tenant sessions (<see cref="ITenantConnectionFactory"/>, the only way to tenant rows), the tenant
    /// catalog's port (<see cref="ITenantCatalog"/>), documents (<see cref="IDocumentRepository"/>), search, ask and
    /// ingestion (<c>SearchService</c>, <c>AnswerService</c>, <c>IngestionPipeline</c>), and the <c>TenantRag</c> meter and
    /// activity source (exported over OTLP when <c>TenantRag:Telemetry:OtlpEndpoint</c> or <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>
    /// names a collector). The database is opened (and the
    /// embedded cluster started, if no server is configured) as the host starts; resolve these after that. While the
    /// host runs, a listener on the catalog database drops cached catalog entries as other processes change them
    /// (<see cref="TenantRagSetup.ListenForCatalogChanges"/>).
    /// Nothing registered here reaches the admin role, the raw pools or the operator functions: those are
    /// <see cref="AddTenantRagOperator"/>'s, for operator tools only.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configuration">The host's configuration; the <c>TenantRag</c> section is read.</param>
    /// <param name="configure">What is set in code rather than configuration (a custom embedding model).</param>
    /// <exception cref="UsageException">A setting is of the wrong type or out of range (the message names it).</exception>
    public static IServiceCollection AddTenantRag(this IServiceCollection services, IConfiguration configuration, Action<TenantRagSetup>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        if (services.Any(s => s.ServiceType == typeof(TenantRagSettings)))
        {
            throw new InvalidOperationException("AddTenantRag was called twice: one registration per host");
        }

        var settings = TenantRagSettings.Read(configuration);
        var setup = new TenantRagSetup();
        configure?.Invoke(setup);
        services.AddSingleton(settings);
        services.AddSingleton(setup);
        services.AddSingleton(settings.Auth);
        services.AddSingleton(settings.Server);
        services.AddSingleton(settings.Ingestion);
        services.AddSingleton(settings.Jobs);
        services.AddSingleton<TenantRagRuntime>();
        services.AddHostedService(sp => sp.GetRequiredService<TenantRagRuntime>());
        if (setup.ListenForCatalogChanges)
        {
            services.AddSingleton<CatalogListenerService>();
            services.AddHostedService<AfterStartup<CatalogListenerService>>();
        }

        // The serving surface: ports and stores that open tenant sessions, each reaching rows only as the caller's tenant.
        services.AddSingleton<ITenantConnectionFactory>(sp => Database(sp).Sessions);
        services.AddSingleton<ITenantCatalog>(sp => Database(sp).Catalog);
        services.AddSingleton<IDocumentRepository>(sp => Database(sp).Documents);
        services.AddSingleton<ISearchStore>(sp => Database(sp).Search);
        services.AddSingleton<IIndexSnapshotStore>(sp => Database(sp).Snapshots);
        services.AddSingleton(sp => Database(sp).Usage);
        services.AddSingleton(sp => Database(sp).UsageLedger);
        services.AddSingleton(sp => Database(sp).Jobs);
        services.AddSingleton(sp => Database(sp).JobQueue);
        services.AddRag(setup, settings.Server, settings.Ingestion, settings.Tenancy.IdleTimeout);

        // What this process holds per tenant, told to the catalog for 'tenant show' and 'tenant list'.
        services.AddSingleton<ServingPresenceService>();
        services.AddHostedService<AfterStartup<ServingPresenceService>>();
        services.AddTenantRagTelemetry(configuration.GetSection($"{TenantRagSettings.SectionName}:Telemetry"));
        return services;
    }

    /// <summary>
    /// Registers the operator service, <see cref="TenantRagDatabase"/>: the installation with its admin role, pools,
    /// migrations, tenant lifecycle, audit, leak drills and re-embedding. For operator tools (the command line); a host
    /// that serves requests does not call this, so no request handler can be given it.
    /// </summary>
    public static IServiceCollection AddTenantRagOperator(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton(Database);
        return services;
    }

    private static TenantRagDatabase Database(IServiceProvider services) => services.GetRequiredService<TenantRagRuntime>().Database;
}
