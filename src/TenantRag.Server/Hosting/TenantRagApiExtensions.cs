using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TenantRag.Server;
using TenantRag.Server.Api;
using TenantRag.Server.Auth;
using TenantRag.Server.Jobs;
using TenantRag.Server.Limits;
using TenantRag.Server.Tenancy;
using TenantRag.Server.Uploads;

namespace TenantRag.Hosting;

/// <summary>
/// The HTTP API in any ASP.NET Core app: <c>builder.Services.AddTenantRag(builder.Configuration).AddTenantRagApi();</c>
/// then <c>app.MapTenantRagApi();</c>.
/// </summary>
public static partial class TenantRagApiExtensions
{
    /// <summary>
    /// Registers what the API needs besides <see cref="TenantRagServiceCollectionExtensions.AddTenantRag"/> (call that
    /// first): JWT bearer authentication by <c>TenantRag:Auth</c>, per-tenant rate limits, problem details, the OpenAPI
    /// document, the upload job workers and the usage roll-up. Kestrel's request body limit becomes
    /// <c>TenantRag:Limits:MaxRequestBytes</c>, and requests Kestrel refuses answer problem+json.
    /// </summary>
    /// <exception cref="InvalidOperationException">AddTenantRag was not called first.</exception>
    /// <exception cref="UsageException">No identity provider is configured (<c>TenantRag:Auth:Authority</c>, <c>:JwksUrl</c> or <c>:DevelopmentIssuer</c>).</exception>
    public static IServiceCollection AddTenantRagApi(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var settings = services.LastOrDefault(s => s.ServiceType == typeof(TenantRagSettings))?.ImplementationInstance as TenantRagSettings
            ?? throw new InvalidOperationException("call services.AddTenantRag(configuration) before AddTenantRagApi()");
        var (auth, server, home) = (settings.Auth, settings.Server, settings.Home);
        auth.RequireIdentityProvider();
        var developmentIssuer = auth.DevelopmentIssuer ? DevelopmentTokenIssuer.LoadOrCreate(home) : null;

        services.Configure<KestrelServerOptions>(k =>
        {
            k.Limits.MaxRequestBodySize = server.MaxRequestBytes;
            k.ConfigureEndpointDefaults(listen => RejectedRequestProblems.Use(listen, k.Limits));
        });

        // Nothing here protects data with it (bearer tokens only: no cookies, no antiforgery), but authentication registers
        // ASP.NET data protection, which makes a key ring as the server starts: it belongs in the home, not in ~/.aspnet.
        home.EnsureExists();
        var keyRing = Directory.CreateDirectory(Path.Combine(home.Root, "data-protection-keys"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        services.AddDataProtection().SetApplicationName("tenantrag").PersistKeysToFileSystem(keyRing);
        services.AddSingleton(new ApiState(developmentIssuer));
        services.AddSingleton(new UploadDirectory(home));
        services.AddSingleton<JobSignal>();
        services.AddSingleton<JobCompletions>();
        services.AddSingleton<IngestionJobRunner>();
        services.AddSingleton<IngestionJobWorker>();
        services.AddHostedService<AfterStartup<IngestionJobWorker>>();
        services.AddSingleton<UsageRollUp>();
        services.AddHostedService<AfterStartup<UsageRollUp>>();
        services.AddSingleton<AutoProvisioner>();
        services.AddProblemDetails();
        services.AddExceptionHandler<TenantRagExceptionHandler>();
        services.AddTenantRagOpenApi();
        services.AddTenantRagAuthentication(auth, developmentIssuer);
        services.AddTenantRateLimits(server);
        return services;
    }

    /// <summary>
    /// Adds the middleware the API needs, in its order (problem details for errors, authentication, the tenant resolved
    /// from the token, per-tenant rate limits, authorization, the request charset check), and maps the endpoints:
    /// <c>/v1/documents</c>, <c>/v1/jobs</c>, <c>/v1/search</c>, <c>/v1/ask</c>, <c>/v1/usage</c>, <c>/admin/v1/tenants</c>, <c>/admin/v1/usage</c>,
    /// <c>/auth/*</c>, <c>/healthz</c> (<c>/live</c>, <c>/ready</c>) and <c>/openapi/v1.json</c>. Call it before mapping
    /// the app's own endpoints.
    /// </summary>
    public static WebApplication MapTenantRagApi(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var state = app.Services.GetService<ApiState>() ?? throw new InvalidOperationException("call services.AddTenantRagApi() before MapTenantRagApi()");
        if (state.DevelopmentIssuer is not null)
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

        app.MapTenantRagOpenApi();
        app.MapHealthApi();
        app.MapAuthApi(state.DevelopmentIssuer, app.Services.GetRequiredService<AuthOptions>());
        var v1 = app.MapGroup("/v1").RequireAuthorization();
        v1.MapDocumentsApi();
        v1.MapJobsApi();
        v1.MapUsageApi();
        v1.MapSearchApi();
        app.MapAdminApi();
        app.MapServingApi();
        app.MapAdminUsageApi();
        return app;
    }

    /// <summary>The web page (<c>/</c> and its scripts), over the API that <see cref="MapTenantRagApi"/> maps.</summary>
    public static WebApplication MapTenantRagWebPage(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapWebPage();
        return app;
    }

    /// <summary>What the registration decided that the mapping needs.</summary>
    internal sealed record ApiState(DevelopmentTokenIssuer? DevelopmentIssuer);

    private static partial class Log
    {
        [LoggerMessage(EventId = 1104, Level = LogLevel.Warning, Message = "Development sign-in is on (--dev-auth, Auth:DevelopmentIssuer): "
            + "/auth/dev-token issues a token for any user of any tenant to direct requests from this machine. Never expose this server "
            + "or put it behind a proxy; configure Auth:Authority for real users")]
        public static partial void DevelopmentIssuerOn(ILogger logger);
    }
}
