using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using TenantRag.Postgres;
using TenantRag.Postgres.Installation;
using TenantRag.Server;
using TenantRag.Testing;

namespace TenantRag.Server.Tests;

/// <summary>The real server on a free loopback port over a real installation, reached over real HTTP.</summary>
internal sealed class TestServer : IAsyncDisposable
{
    private TestServer(WebApplication app, TenantRagDatabase database, TenantRagHome home)
    {
        App = app;
        Database = database;
        Home = home;
        Client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
    }

    public WebApplication App { get; }

    public TenantRagDatabase Database { get; }

    public TenantRagHome Home { get; }

    public HttpClient Client { get; }

    /// <param name="listen">
    /// Whether the server listens for the catalog's notifications, as every serving host does; false plays a server that
    /// missed them (its listener disconnected), so it trusts its cached catalog entries for their whole lifetime.
    /// </param>
    public static async Task<TestServer> StartAsync(PostgresServer postgres, string prefix, IDictionary<string, string?>? settings = null,
        IEmbeddingGenerator<string, Embedding<float>>? embeddings = null, Action<TenancyOptions>? tenancy = null, string environment = "Testing",
        bool listen = true)
    {
        var database = await postgres.OpenInstallationAsync(prefix, tenancy);
        var home = new TenantRagHome(Path.Combine(postgres.Home.Root, "server-" + prefix));
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = environment });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.AddInMemoryCollection(WithDevelopmentIssuer(settings ?? new Dictionary<string, string?>()));
        var app = TenantRagServer.Build(builder, home, setup =>
        {
            setup.Database = database;
            setup.Embeddings = embeddings;
            setup.ListenForCatalogChanges = listen;
        });
        await app.StartAsync(TestContext.Current.CancellationToken);
        return new TestServer(app, database, home);
    }

    /// <summary>
    /// The settings, with the development issuer turned on (as <c>serve --dev-auth</c> does) unless they configure an
    /// identity provider or say whether to use the development issuer themselves.
    /// Tests name settings within the <c>TenantRag</c> section (<c>Limits:Burst</c> for <c>TenantRag:Limits:Burst</c>).
    /// </summary>
    private static Dictionary<string, string?> WithDevelopmentIssuer(IDictionary<string, string?> settings)
    {
        var all = new Dictionary<string, string?>(settings);
        if (!all.ContainsKey("Auth:Authority") && !all.ContainsKey("Auth:JwksUrl"))
        {
            all.TryAdd("Auth:DevelopmentIssuer", "true");
        }

        return all.ToDictionary(setting => setting.Key.StartsWith("Logging:", StringComparison.Ordinal) ? setting.Key : "TenantRag:" + setting.Key, setting => setting.Value);
    }

    /// <summary>
    /// A request to the server. An upload (<c>POST /v1/documents</c>) asks to wait for its job (<c>Prefer: wait=60</c>),
    /// so it answers with the outcome as a synchronous upload would; a test of the job answers removes the header or
    /// sets its own.
    /// </summary>
    public HttpRequestMessage Request(HttpMethod method, string path, string? token)
    {
        var request = new HttpRequestMessage(method, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (method == HttpMethod.Post && path.TrimEnd('/') == "/v1/documents")
        {
            request.Headers.TryAddWithoutValidation("Prefer", "wait=60");
        }

        return request;
    }

    public Task<HttpResponseMessage> GetAsync(string path, string? token) =>
        Client.SendAsync(Request(HttpMethod.Get, path, token), TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        await Database.DisposeAsync();
    }
}
