using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using TenantRag.Hosting;
using TenantRag.Postgres;
using TenantRag.Postgres.Installation;

namespace TenantRag.Server;

/// <summary>
/// The server <c>tenantrag serve</c> runs: the library's registration (<see cref="TenantRagServiceCollectionExtensions.AddTenantRag"/>,
/// <see cref="TenantRagApiExtensions.AddTenantRagApi"/>) over an installation the caller opened, with the web page.
/// </summary>
public static class TenantRagServer
{
    /// <summary>
    /// Builds the app over the installation its settings name, opened as the app starts (<c>TenantRag:Database:Url</c>,
    /// else the embedded cluster under the home), with the API and the web page.
    /// </summary>
    /// <param name="builder">The host builder (configuration, URLs, logging).</param>
    /// <param name="home">Where the installation keeps its secrets and cluster (overrides <c>TenantRag:Home</c>).</param>
    /// <param name="configure">What is set in code (notices of the database's start-up, a custom model).</param>
    public static WebApplication Build(WebApplicationBuilder builder, TenantRagHome home, Action<TenantRagSetup>? configure = null) =>
        Compose(builder, home, setup => configure?.Invoke(setup));

    /// <summary>Builds the app over an installation the caller opened (and closes after the app).</summary>
    /// <param name="builder">The host builder (configuration, URLs, logging).</param>
    /// <param name="database">The opened installation; the caller closes it after the app.</param>
    /// <param name="home">Where the development issuer keeps its key and uploads wait (overrides <c>TenantRag:Home</c>).</param>
    /// <param name="embeddings">The embedding model; null for the bundled all-MiniLM-L6-v2.</param>
    public static WebApplication Build(WebApplicationBuilder builder, TenantRagDatabase database, TenantRagHome home,
        IEmbeddingGenerator<string, Embedding<float>>? embeddings = null)
    {
        ArgumentNullException.ThrowIfNull(database);
        return Compose(builder, home, setup =>
        {
            setup.Database = database;
            setup.Embeddings = embeddings;
        });
    }

    private static WebApplication Compose(WebApplicationBuilder builder, TenantRagHome home, Action<TenantRagSetup> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(home);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { [$"{TenantRagSettings.SectionName}:Home"] = home.Root });
        builder.Services.AddTenantRag(builder.Configuration, configure);
        builder.Services.AddTenantRagApi();
        var app = builder.Build();
        app.MapTenantRagApi();
        app.MapTenantRagWebPage();
        return app;
    }

    /// <summary>
    /// Checks the <c>TenantRag</c> section's settings without building anything, so that a host can refuse to start
    /// before it opens the database.
    /// </summary>
    /// <exception cref="UsageException">A setting is of the wrong type or out of range, or no identity provider is chosen.</exception>
    public static void ValidateSettings(IConfiguration configuration) => TenantRagSettings.Read(configuration).Auth.RequireIdentityProvider();
}
