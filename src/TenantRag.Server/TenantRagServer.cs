using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.AI;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TenantRag.Postgres;
using TenantRag.Postgres.Installation;
using TenantRag.Server.Api;
using TenantRag.Server.Auth;
using TenantRag.Rag.Ingestion;
using TenantRag.Server.Jobs;
using TenantRag.Server.Limits;
using TenantRag.Server.Tenancy;
using TenantRag.Server.Uploads;

namespace TenantRag.Server;

/// <summary>Composes the HTTP API and web page over an opened <see cref="TenantRagDatabase"/>.</summary>
public static partial class TenantRagServer
{
    /// <summary>Builds the app. Configuration comes from <paramref name="builder"/> (appsettings, environment, overrides).</summary>
    /// <param name="builder">The host builder (configuration, URLs, logging).</param>
    /// <param name="database">The opened installation.</param>
    /// <param name="home">Where the development issuer keeps its key.</param>
    /// <param name="embeddings">The embedding model; null for the bundled all-MiniLM-L6-v2.</param>
    public static WebApplication Build(WebApplicationBuilder builder, TenantRagDatabase database, TenantRagHome home,
        IEmbeddingGenerator<string, Embedding<float>>? embeddings = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(home);
        var (auth, server, ingestion, jobs) = ReadSettings(builder.Configuration);
        var developmentIssuer = auth.DevelopmentIssuer ? DevelopmentTokenIssuer.LoadOrCreate(home) : null;

        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = server.MaxRequestBytes;
            k.ConfigureEndpointDefaults(listen => RejectedRequestProblems.Use(listen, k.Limits));
        });

        // Nothing here protects data with it (bearer tokens only: no cookies, no antiforgery), but authentication registers
        // ASP.NET data protection, which makes a key ring as the server starts: it belongs in the home, not in ~/.aspnet.
        home.EnsureExists();
        var keyRing = Directory.CreateDirectory(Path.Combine(home.Root, "data-protection-keys"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        builder.Services.AddDataProtection().SetApplicationName("tenantrag").PersistKeysToFileSystem(keyRing);
        builder.Services.AddSingleton(database);
        builder.Services.AddSingleton(auth);
        builder.Services.AddSingleton(server);
        builder.Services.AddSingleton(ingestion);
        builder.Services.AddSingleton(new UploadDirectory(home));
        builder.Services.AddSingleton(jobs);
        builder.Services.AddSingleton<JobSignal>();
        builder.Services.AddSingleton<JobCompletions>();
        builder.Services.AddSingleton<IngestionJobRunner>();
        builder.Services.AddHostedService<IngestionJobWorker>();
        builder.Services.AddSingleton<UsageMeter>();
        builder.Services.AddSingleton<AutoProvisioner>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<UsageMeter>());
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<TenantRagExceptionHandler>();
        builder.Services.AddOpenApi();
        builder.Services.AddTenantRagAuthentication(auth, developmentIssuer);
        builder.Services.AddTenantRateLimits(server);
        builder.Services.AddRag(database, embeddings, server, ingestion);
        builder.Services.AddTenantRagTelemetry(builder.Configuration.GetSection("Telemetry"));

        var app = builder.Build();
        if (developmentIssuer is not null)
        {
            Log.DevelopmentIssuerOn(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("TenantRag.Server.Auth"));
        }

        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseMiddleware<TenantResolutionMiddleware>();
        app.UseRateLimiter();
        app.UseAuthorization();
        app.UseMiddleware<RequestCharsetMiddleware>();

        app.MapOpenApi();
        app.MapHealthApi();
        app.MapAuthApi(developmentIssuer, auth);
        var v1 = app.MapGroup("/v1").RequireAuthorization();
        v1.MapDocumentsApi();
        v1.MapJobsApi();
        v1.MapUsageApi();
        v1.MapSearchApi();
        app.MapAdminApi();
        app.MapWebPage();
        return app;
    }

    /// <summary>
    /// Checks the <c>Auth</c>, <c>Tenancy</c>, <c>Limits</c>, <c>Embeddings</c>, <c>Ingestion</c>, <c>Jobs</c> and <c>Telemetry</c> settings without
    /// building anything, so that a host can refuse to start before it opens the database.
    /// </summary>
    /// <exception cref="UsageException">A setting is of the wrong type or out of range, or no identity provider is chosen.</exception>
    public static void ValidateSettings(IConfiguration configuration)
    {
        ReadSettings(configuration);
        Observability.TelemetryOptions.Read(configuration.GetSection("Telemetry"));
    }

    /// <summary>
    /// The <c>Auth</c>, <c>Tenancy</c>, <c>Limits</c>, <c>Embeddings</c>, <c>Ingestion</c> and <c>Jobs</c> sections; a value of the wrong
    /// type is a usage error.
    /// </summary>
    private static (AuthOptions Auth, ServerOptions Server, IngestionOptions Ingestion, JobOptions Jobs) ReadSettings(IConfiguration configuration)
    {
        try
        {
            var auth = configuration.GetSection("Auth").Get<AuthOptions>() ?? new AuthOptions();
            var server = new ServerOptions();
            configuration.GetSection("Tenancy").Bind(server);
            configuration.GetSection("Limits").Bind(server);
            configuration.GetSection("Embeddings").Bind(server);
            auth.Validate();
            server.Validate();
            var jobs = new JobOptions();
            configuration.GetSection("Jobs").Bind(jobs);
            jobs.Validate();
            return (auth, server, IngestionSettings.Read(configuration.GetSection(IngestionSettings.Section)), jobs);
        }
        catch (InvalidOperationException ex) when (ex.InnerException is FormatException or ArgumentException or OverflowException)
        {
            // The binder names the key and the value: "Failed to convert configuration value 'x' at 'Limits:Burst' to type ...".
            throw new UsageException($"a setting has a value of the wrong type: {ex.Message}");
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1104, Level = LogLevel.Warning, Message = "Development sign-in is on (--dev-auth, Auth:DevelopmentIssuer): "
            + "/auth/dev-token issues a token for any user of any tenant to direct requests from this machine. Never expose this server "
            + "or put it behind a proxy; configure Auth:Authority for real users")]
        public static partial void DevelopmentIssuerOn(ILogger logger);
    }
}
