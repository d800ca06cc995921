using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.AI;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using TenantRag.Postgres;
using TenantRag.Postgres.Installation;
using TenantRag.Server.Api;
using TenantRag.Server.Auth;
using TenantRag.Rag.Ingestion;
using TenantRag.Server.Limits;
using TenantRag.Server.Tenancy;
using TenantRag.Server.Uploads;

namespace TenantRag.Server;

/// <summary>Composes the HTTP API and web page over an opened <see cref="TenantRagDatabase"/>.</summary>
public static class TenantRagServer
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
        var (auth, server, ingestion) = ReadSettings(builder.Configuration);
        var developmentIssuer = auth.HasExternalAuthority ? null : DevelopmentTokenIssuer.LoadOrCreate(home);

        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = server.MaxRequestBytes);
        builder.Services.AddSingleton(database);
        builder.Services.AddSingleton(auth);
        builder.Services.AddSingleton(server);
        builder.Services.AddSingleton(ingestion);
        builder.Services.AddSingleton(new UploadDirectory(home));
        builder.Services.AddSingleton<UsageMeter>();
        builder.Services.AddSingleton<AutoProvisioner>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<UsageMeter>());
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<TenantRagExceptionHandler>();
        builder.Services.AddOpenApi();
        builder.Services.AddTenantRagAuthentication(auth, developmentIssuer);
        builder.Services.AddTenantRateLimits(server);
        builder.Services.AddRag(database, embeddings, server, ingestion);

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseMiddleware<TenantResolutionMiddleware>();
        app.UseRateLimiter();
        app.UseAuthorization();
        app.UseMiddleware<RequestCharsetMiddleware>();

        app.MapOpenApi();
        app.MapGet("/healthz", () => TypedResults.Ok(new { status = "ok" })).WithTags("Health");
        app.MapAuthApi(developmentIssuer, auth);
        var v1 = app.MapGroup("/v1").RequireAuthorization();
        v1.MapDocumentsApi();
        v1.MapUsageApi();
        v1.MapSearchApi();
        app.MapAdminApi();
        app.MapWebPage();
        return app;
    }

    /// <summary>
    /// The <c>Auth</c>, <c>Tenancy</c>, <c>Limits</c>, <c>Embeddings</c> and <c>Ingestion</c> sections; a value of the wrong
    /// type is a usage error.
    /// </summary>
    private static (AuthOptions Auth, ServerOptions Server, IngestionOptions Ingestion) ReadSettings(IConfiguration configuration)
    {
        try
        {
            var auth = configuration.GetSection("Auth").Get<AuthOptions>() ?? new AuthOptions();
            var server = new ServerOptions();
            configuration.GetSection("Tenancy").Bind(server);
            configuration.GetSection("Limits").Bind(server);
            configuration.GetSection("Embeddings").Bind(server);
            server.Validate();
            return (auth, server, IngestionSettings.Read(configuration.GetSection(IngestionSettings.Section)));
        }
        catch (InvalidOperationException ex) when (ex.InnerException is FormatException or ArgumentException or OverflowException)
        {
            // The binder names the key and the value: "Failed to convert configuration value 'x' at 'Limits:Burst' to type ...".
            throw new UsageException($"a setting has a value of the wrong type: {ex.Message}");
        }
    }
}
