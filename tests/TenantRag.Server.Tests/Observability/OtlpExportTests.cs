using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using TenantRag.Rag.Observability;
using TenantRag.Server.Auth;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Server.Tests.Observability;

/// <summary>
/// Export over OTLP, to a stand-in collector on loopback: with <c>Telemetry:OtlpEndpoint</c> traces and metrics arrive
/// (the request, TenantRag's search and Npgsql), and nothing exported holds a query, a document's text, a filter, a
/// bearer token or a password; with no endpoint no OpenTelemetry pipeline runs at all.
/// </summary>
public sealed class OtlpExportTests(PostgresServer postgres)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task OtlpEndpoint_Configured_TracesAndMetricsArrive_WithoutQueriesTextTokensOrPasswords()
    {
        await using var collector = OtlpCollector.Start();
        await using var server = await TestServer.StartAsync(postgres, "s_otelexp", new Dictionary<string, string?> { ["Telemetry:OtlpEndpoint"] = collector.Url });
        var (tenant, token) = await Uploads.TenantAsync(server, "otelexp");
        var admin = DevelopmentTokenIssuer.LoadOrCreate(server.Home).Issue(tenant.Slug, UserId.Parse("root"), TimeSpan.FromMinutes(10), ["tenantrag:admin"]);
        var phrase = "zq" + Slugs.RandomLetters(12);
        var query = "zq" + Slugs.RandomLetters(12);
        var filter = "zq" + Slugs.RandomLetters(12);
        var dedicated = Slugs.Unique("otelded");

        var upload = await Uploads.PostTextAsync(server, token, "Parking", $"Visitors park on level 2 of the garage, says {phrase}.");
        var search = server.Request(HttpMethod.Post, "/v1/search", token);
        search.Content = JsonContent.Create(new { query = query + " where do visitors park", k = 3 });
        var searched = await server.Client.SendAsync(search, Ct);
        var listed = await server.GetAsync($"/v1/documents?q={filter}", token);
        var create = server.Request(HttpMethod.Post, "/admin/v1/tenants", admin);
        create.Content = JsonContent.Create(new { slug = dedicated.Value, mode = "dedicated" });
        var created = await server.Client.SendAsync(create, Ct);
        // A first bootstrap runs CREATE ROLE ... PASSWORD on a connection of its own, outside the pools, while this exports.
        await using (await postgres.OpenInstallationAsync("s_otelboot"))
        {
        }

        await FlushUntilAsync(server, () => collector.Contains("/v1/traces", tenant.Slug.Value) && collector.Contains("/v1/traces", "tenantrag.ingest.job")
            && collector.Contains("/v1/metrics", "tenantrag.search.duration") && collector.Contains("/v1/metrics", tenant.Slug.Value));
        var password = postgres.Secrets.DerivePassword(server.Database.Installation.Names.DedicatedRole(dedicated));

        Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
        Assert.Equal(HttpStatusCode.OK, searched.StatusCode);
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.True(collector.Contains("/v1/traces", "tenantrag.search"));
        Assert.True(collector.Contains("/v1/traces", "/v1/search"));
        Assert.True(collector.Contains("/v1/traces", "db.query.text"));
        Assert.True(collector.Contains("/v1/traces", TelemetryServiceCollectionExtensions.ServiceName));
        Assert.True(collector.Contains("/v1/metrics", "tenantrag.tenant.requests"));
        Assert.True(collector.Contains("/v1/metrics", "tenantrag.jobs.succeeded"));
        Assert.True(collector.Contains("/v1/metrics", "http.server.request.duration"));
        Assert.True(collector.Contains("/v1/metrics", "db.client.operation.duration"));
        foreach (var path in new[] { "/v1/traces", "/v1/metrics" })
        {
            Assert.False(collector.Contains(path, phrase), $"{path} holds the document's text");
            Assert.False(collector.Contains(path, query), $"{path} holds the query");
            Assert.False(collector.Contains(path, filter), $"{path} holds the list filter");
            Assert.False(collector.Contains(path, token), $"{path} holds the bearer token");
            Assert.False(collector.Contains(path, admin), $"{path} holds the admin's bearer token");
            Assert.False(collector.Contains(path, password), $"{path} holds the dedicated tenant's password");
            Assert.False(collector.Contains(path, postgres.Secrets.AdminPassword), $"{path} holds the admin role's password");
            Assert.False(collector.Contains(path, postgres.Secrets.AppPassword), $"{path} holds the serving role's password");
            Assert.False(collector.Contains(path, "Password="), $"{path} holds a connection string");
        }
    }

    [Fact]
    public async Task NoEndpoint_NothingConfigured_NoOpenTelemetryPipeline()
    {
        Assert.SkipWhen(!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT")), "OTEL_EXPORTER_OTLP_ENDPOINT is set for this run");
        await using var server = await TestServer.StartAsync(postgres, "s_otelnone");

        var response = await server.GetAsync("/healthz/live", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(server.App.Services.GetService<TracerProvider>());
        Assert.Null(server.App.Services.GetService<MeterProvider>());
    }

    [Fact]
    public async Task EnvironmentEndpoint_OtelVariablesSet_ExportsWhereTheyPoint()
    {
        await using var collector = OtlpCollector.Start();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            // The SDK reads its OTEL_* settings from configuration, which a host fills from the environment.
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Url,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        }).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging();
        services.AddTenantRagTelemetry(configuration.GetSection("Telemetry"), name => configuration[name]);
        await using var provider = services.BuildServiceProvider();
        var tracing = provider.GetRequiredService<TracerProvider>();
        var probe = "probe-" + Slugs.RandomLetters(12);

        TenantRagTelemetry.ActivitySource.StartActivity(probe)?.Dispose();
        tracing.ForceFlush(30_000);

        Assert.True(collector.Contains("/v1/traces", probe));
    }

    [Theory]
    [InlineData("Telemetry:OtlpEndpoint", "https://collector:secret-in-url@example.test:4318", "secret-in-url")]
    [InlineData("Telemetry:OtlpEndpoint", "collector:4318/relative", null)]
    [InlineData("Telemetry:OtlpProtocol", "thrift", null)]
    public void ValidateSettings_BadTelemetrySetting_UsageErrorNamingTheKey(string key, string value, string? neverShown)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["TenantRag:Auth:DevelopmentIssuer"] = "true",
            ["TenantRag:" + key] = value,
        }).Build();

        var error = Assert.Throws<UsageException>(() => TenantRagServer.ValidateSettings(configuration));

        Assert.Contains(key, error.Message, StringComparison.Ordinal);
        Assert.Equal(2, error.ExitCode);
        if (neverShown is not null)
        {
            Assert.DoesNotContain(neverShown, error.Message, StringComparison.Ordinal);
        }
    }

    // Flushes both pipelines until what the test waits for has arrived (a request's span ends just after its response),
    // within a generous bound.
    private static async Task FlushUntilAsync(TestServer server, Func<bool> arrived)
    {
        var tracing = server.App.Services.GetRequiredService<TracerProvider>();
        var metrics = server.App.Services.GetRequiredService<MeterProvider>();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        while (true)
        {
            tracing.ForceFlush(30_000);
            metrics.ForceFlush(30_000);
            if (arrived())
            {
                return;
            }

            await Task.Delay(200, timeout.Token);
        }
    }
}
