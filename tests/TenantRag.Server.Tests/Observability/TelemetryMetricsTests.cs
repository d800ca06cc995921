using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using TenantRag.Testing;

namespace TenantRag.Server.Tests.Observability;

/// <summary>
/// TenantRag's own instruments, read from the server's meter factory (so other tests' servers do not count): a search
/// over HTTP records every stage, the request counter names the tenant by its slug, an upload job is counted queued,
/// started and succeeded, and the index cache reports its misses, hits and bytes.
/// </summary>
public sealed class TelemetryMetricsTests(PostgresServer postgres)
{
    private const string Meter = "TenantRag";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SearchAndUpload_OverHttp_RecordStagesTenantRequestsJobsAndCache()
    {
        await using var server = await TestServer.StartAsync(postgres, "s_otelmet");
        var meters = server.App.Services.GetRequiredService<IMeterFactory>();
        using var stages = new MetricCollector<double>(meters, Meter, "tenantrag.search.duration");
        using var requests = new MetricCollector<long>(meters, Meter, "tenantrag.tenant.requests");
        using var queued = new MetricCollector<long>(meters, Meter, "tenantrag.jobs.queued");
        using var started = new MetricCollector<long>(meters, Meter, "tenantrag.jobs.started");
        using var succeeded = new MetricCollector<long>(meters, Meter, "tenantrag.jobs.succeeded");
        using var jobDuration = new MetricCollector<double>(meters, Meter, "tenantrag.job.duration");
        using var misses = new MetricCollector<long>(meters, Meter, "tenantrag.index_cache.misses");
        using var hits = new MetricCollector<long>(meters, Meter, "tenantrag.index_cache.hits");
        using var bytes = new MetricCollector<long>(meters, Meter, "tenantrag.index_cache.size");
        var (tenant, token) = await Uploads.TenantAsync(server, "otelmet");
        var (other, otherToken) = await Uploads.TenantAsync(server, "otelmetx");

        var upload = await Uploads.PostTextAsync(server, token, "Parking", "Visitors park on level 2 of the garage behind the library.");
        var first = await SearchAsync(server, token, "where do visitors park");
        var second = await SearchAsync(server, token, "garage level for visitors");
        var foreign = await server.GetAsync("/v1/documents", otherToken);
        misses.RecordObservableInstruments();
        hits.RecordObservableInstruments();
        bytes.RecordObservableInstruments();

        Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(HttpStatusCode.OK, foreign.StatusCode);
        var recorded = stages.GetMeasurementSnapshot();
        Assert.Equal(["embed", "fetch", "fusion", "index", "lexical", "total", "vector"],
            recorded.Select(m => (string)m.Tags["tenantrag.search.stage"]!).Distinct().Order(StringComparer.Ordinal));
        Assert.All(recorded, m => Assert.Equal("hybrid", m.Tags["tenantrag.search.retriever"]));
        Assert.Equal(2, recorded.Count(m => (string?)m.Tags["tenantrag.search.stage"] == "total"));
        Assert.All(recorded, m => Assert.InRange(m.Value, 0, 60));
        Assert.Contains(recorded, m => (string?)m.Tags["tenantrag.search.stage"] == "total" && m.Value > 0);
        var perTenant = requests.GetMeasurementSnapshot();
        Assert.Equal(3, perTenant.Where(m => (string?)m.Tags["tenantrag.tenant"] == tenant.Slug.Value).Sum(m => m.Value));
        Assert.Equal(1, perTenant.Where(m => (string?)m.Tags["tenantrag.tenant"] == other.Slug.Value).Sum(m => m.Value));
        Assert.All(perTenant, m => Assert.Equal(["tenantrag.tenant"], m.Tags.Keys));
        Assert.Equal(1, queued.GetMeasurementSnapshot().Sum(m => m.Value));
        Assert.Equal(1, started.GetMeasurementSnapshot().Sum(m => m.Value));
        Assert.Equal(1, succeeded.GetMeasurementSnapshot().Sum(m => m.Value));
        Assert.Equal("succeeded", Assert.Single(jobDuration.GetMeasurementSnapshot()).Tags["tenantrag.job.outcome"]);
        Assert.True(misses.LastMeasurement!.Value >= 2, "the first search loads the tenant's vector and full-text indexes");
        Assert.True(hits.LastMeasurement!.Value >= 2, "the second search finds both in the cache");
        Assert.True(bytes.LastMeasurement!.Value > 0);
    }

    private static async Task<HttpResponseMessage> SearchAsync(TestServer server, string token, string query)
    {
        var request = server.Request(HttpMethod.Post, "/v1/search", token);
        request.Content = JsonContent.Create(new { query, k = 3 });
        return await server.Client.SendAsync(request, Ct);
    }
}
