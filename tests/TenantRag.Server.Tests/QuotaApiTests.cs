using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Server.Tests;

/// <summary>
/// Issue 15, item 3: a tenant's quotas are enforced on every path of the API, in both models. Storage quotas answer 413
/// and rate quotas 429 (with <c>Retry-After</c>), each a problem naming the quota, its value, the usage and when it
/// resets; an upload over a storage quota stores nothing, also when two uploads race past the check made at submission.
/// </summary>
public sealed class QuotaApiTests(PostgresServer postgres)
{
    private const string Prefix = "s_quota";

    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static TestServer? _shared;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(TenancyMode.Shared)]
    [InlineData(TenancyMode.Dedicated)]
    public async Task Upload_OverByteQuota_413NamingTheQuotaAndNothingStored(TenancyMode mode)
    {
        var server = await ServerAsync();
        var (tenant, token) = await Uploads.TenantAsync(server, "qbytes", mode);
        await SetAsync(server, tenant, TenantQuota.MaxBytes, 100);
        var file = Encoding.UTF8.GetBytes("# Budget\n\n" + string.Concat(Enumerable.Repeat("The travel budget is spent on trains. ", 10)));

        var response = await Uploads.PostFileAsync(server, token, "budget.md", file);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        var problem = await Uploads.ProblemAsync(response);
        Assert.Equal("urn:tenantrag:problem:storage-quota-exceeded", problem.GetProperty("type").GetString());
        Assert.Equal("max-bytes", problem.GetProperty("quota").GetString());
        Assert.Equal(100, problem.GetProperty("limit").GetInt64());
        Assert.Equal(0, problem.GetProperty("used").GetInt64());
        Assert.Equal(file.Length, problem.GetProperty("requested").GetInt64());
        Assert.Equal(JsonValueKind.Null, problem.GetProperty("resetsAt").ValueKind);
        Assert.Contains($"tenant '{tenant.Slug}' is over its quota max-bytes of 100 bytes", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("does not reset", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Null(response.Headers.RetryAfter);
        await AssertNothingStoredAsync(tenant);
    }

    [Theory]
    [InlineData(TenancyMode.Shared)]
    [InlineData(TenancyMode.Dedicated)]
    public async Task Upload_AtDocumentQuota_413AndTheOneBeforeItStored(TenancyMode mode)
    {
        var server = await ServerAsync();
        var (tenant, token) = await Uploads.TenantAsync(server, "qdocs", mode);
        await SetAsync(server, tenant, TenantQuota.MaxDocuments, 1);

        var first = await Uploads.PostTextAsync(server, token, "Parking", "Visitors park on level 2.");
        var second = await Uploads.PostTextAsync(server, token, "Lunch", "Lunch is served at noon.");

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, second.StatusCode);
        var problem = await Uploads.ProblemAsync(second);
        Assert.Equal(("max-documents", 1L, 1L), (problem.GetProperty("quota").GetString(), problem.GetProperty("limit").GetInt64(), problem.GetProperty("used").GetInt64()));
        Assert.Equal(["Parking"], await Uploads.TitlesAsync(server, token));
        Assert.Equal(1L, await postgres.ScalarAsync<long>(tenant.Database, "SELECT count(*) FROM ingest_jobs WHERE tenant_id = $1", tenant.Id));
    }

    [Theory]
    [InlineData(TenancyMode.Shared)]
    [InlineData(TenancyMode.Dedicated)]
    public async Task TwoConcurrentUploads_TogetherOverByteQuota_StoreAtMostWhatFits(TenancyMode mode)
    {
        var server = await ServerAsync();
        var (tenant, token) = await Uploads.TenantAsync(server, "qrace", mode);
        var north = Encoding.UTF8.GetBytes("# North office\n\n" + string.Concat(Enumerable.Repeat("The north office opens at eight. ", 20)));
        var south = Encoding.UTF8.GetBytes("# South office\n\n" + string.Concat(Enumerable.Repeat("The south office closes at six. ", 20)));

        // Either fits alone, both do not: each passes the check at submission (nothing is stored yet), and the
        // transactions that store them decide.
        var limit = Math.Max(north.Length, south.Length) + (Math.Min(north.Length, south.Length) / 2);
        await SetAsync(server, tenant, TenantQuota.MaxBytes, limit);
        var answers = await Task.WhenAll(Uploads.PostFileAsync(server, token, "north.md", north), Uploads.PostFileAsync(server, token, "south.md", south));

        var statuses = answers.Select(a => a.StatusCode).Order().ToArray();
        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.RequestEntityTooLarge], statuses);
        var refused = await Uploads.ProblemAsync(answers.Single(a => a.StatusCode == HttpStatusCode.RequestEntityTooLarge));
        Assert.Equal("max-bytes", refused.GetProperty("quota").GetString());
        Assert.Equal("urn:tenantrag:problem:storage-quota-exceeded", refused.GetProperty("type").GetString());
        Assert.Single(await Uploads.TitlesAsync(server, token));
        Assert.True(await StoredBytesAsync(tenant) <= limit);
        Assert.Equal(1L, await postgres.ScalarAsync<long>(tenant.Database,
            "SELECT count(DISTINCT document_id) FROM chunks WHERE tenant_id = $1", tenant.Id));

        // A job refused while it stored (not at submission) failed cleanly, with the quota's words and nothing to show.
        if (refused.TryGetProperty("jobId", out var jobId))
        {
            var job = await (await server.GetAsync($"/v1/jobs/{jobId.GetGuid()}", token)).Content.ReadFromJsonAsync<JsonElement>(Ct);
            Assert.Equal("failed", job.GetProperty("status").GetString());
            Assert.Equal("QuotaExceeded", job.GetProperty("error").GetProperty("reason").GetString());
            Assert.Equal(0, job.GetProperty("documentIds").GetArrayLength());
        }
    }

    [Theory]
    [InlineData(TenancyMode.Shared)]
    [InlineData(TenancyMode.Dedicated)]
    public async Task SearchAndAsk_OverQueriesPerDay_429WithRetryAfterUntilUtcMidnight(TenancyMode mode)
    {
        var server = await ServerAsync();
        var (tenant, token) = await Uploads.TenantAsync(server, "qdaily", mode);
        await SetAsync(server, tenant, TenantQuota.MaxQueriesPerDay, 5);

        // Five queries of today, as metering writes them (one usage event per query).
        await postgres.ExecuteAsync(tenant.Database, "INSERT INTO usage_events (tenant_id, queries) SELECT $1, 1 FROM generate_series(1, 5)", tenant.Id);
        var search = await SendJsonAsync(server, token, "/v1/search", new { query = "parking" });
        var ask = await SendJsonAsync(server, token, "/v1/ask", new { question = "Where do visitors park?" });
        var streamed = await SendJsonAsync(server, token, "/v1/ask", new { question = "Where do visitors park?" }, "text/event-stream");
        var midnight = new DateTimeOffset(DateTime.UtcNow.Date.AddDays(1), TimeSpan.Zero);

        foreach (var response in new[] { search, ask, streamed })
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
            var wait = response.Headers.RetryAfter?.Delta ?? throw new InvalidOperationException("no Retry-After");
            Assert.InRange(DateTimeOffset.UtcNow + wait, midnight.AddSeconds(-30), midnight.AddSeconds(30));
            var problem = await Uploads.ProblemAsync(response);
            Assert.Equal("urn:tenantrag:problem:rate-quota-exceeded", problem.GetProperty("type").GetString());
            Assert.Equal(("max-queries-per-day", 5L, 5L), (problem.GetProperty("quota").GetString(), problem.GetProperty("limit").GetInt64(), problem.GetProperty("used").GetInt64()));
            Assert.Equal(midnight, problem.GetProperty("resetsAt").GetDateTimeOffset());
            Assert.Contains("resets at " + midnight.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
                problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(TenancyMode.Shared)]
    [InlineData(TenancyMode.Dedicated)]
    public async Task Search_UnderQueriesPerDay_Answers(TenancyMode mode)
    {
        var server = await ServerAsync();
        var (tenant, token) = await Uploads.TenantAsync(server, "qunder", mode);
        await SetAsync(server, tenant, TenantQuota.MaxQueriesPerDay, 5);
        await postgres.ExecuteAsync(tenant.Database, "INSERT INTO usage_events (tenant_id, queries) VALUES ($1, 4)", tenant.Id);

        var search = await SendJsonAsync(server, token, "/v1/search", new { query = "parking" });

        Assert.Equal(HttpStatusCode.OK, search.StatusCode);
    }

    [Theory]
    [InlineData(TenancyMode.Shared)]
    [InlineData(TenancyMode.Dedicated)]
    public async Task Upload_AtConcurrentUploadQuota_429AndNoJobMade(TenancyMode mode)
    {
        // No worker: the first upload's job stays queued, so it is in progress.
        await using var server = await TestServer.StartAsync(postgres, Prefix + "0", new Dictionary<string, string?> { ["Jobs:Workers"] = "0" });
        var (tenant, token) = await Uploads.TenantAsync(server, "qjobs", mode);
        await SetAsync(server, tenant, TenantQuota.MaxConcurrentUploads, 1);

        var first = await PostWithoutWaitingAsync(server, token, "Parking", "Visitors park on level 2.");
        var second = await PostWithoutWaitingAsync(server, token, "Lunch", "Lunch is served at noon.");

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(5), second.Headers.RetryAfter?.Delta);
        var problem = await Uploads.ProblemAsync(second);
        Assert.Equal("urn:tenantrag:problem:rate-quota-exceeded", problem.GetProperty("type").GetString());
        Assert.Equal(("max-concurrent-uploads", 1L, 1L), (problem.GetProperty("quota").GetString(), problem.GetProperty("limit").GetInt64(), problem.GetProperty("used").GetInt64()));
        Assert.Equal(1L, await postgres.ScalarAsync<long>(tenant.Database, "SELECT count(*) FROM ingest_jobs WHERE tenant_id = $1", tenant.Id));
        Assert.Equal(1L, await postgres.ScalarAsync<long>(tenant.Database, "SELECT count(DISTINCT job_id) FROM ingest_job_parts WHERE tenant_id = $1", tenant.Id));
    }

    [Fact]
    public async Task QuotaSet_ByAnotherProcess_SeenByTheRunningServerAtOnce()
    {
        // The server trusts a looked-up tenant for ten minutes: only the catalog's notification can make it see a change
        // made elsewhere within seconds.
        await using var server = await TestServer.StartAsync(postgres, Prefix + "n", tenancy: o => o.CatalogCacheTtl = TimeSpan.FromMinutes(10));
        var (tenant, token) = await Uploads.TenantAsync(server, "qnotify");
        Assert.Equal(HttpStatusCode.OK, (await SendJsonAsync(server, token, "/v1/search", new { query = "parking" })).StatusCode);

        await using (var elsewhere = await postgres.OpenInstallationAsync(Prefix + "n"))
        {
            await elsewhere.Catalog.SetQuotasAsync(tenant.Slug, new Dictionary<TenantQuota, long?> { [TenantQuota.MaxQueriesPerDay] = 0 }, Ct);
        }

        var deadline = DateTime.UtcNow.AddSeconds(20);
        HttpStatusCode status;
        do
        {
            status = (await SendJsonAsync(server, token, "/v1/search", new { query = "parking" })).StatusCode;
        }
        while (status != HttpStatusCode.TooManyRequests && DateTime.UtcNow < deadline && await Delay());

        Assert.Equal(HttpStatusCode.TooManyRequests, status);
    }

    private static async Task<bool> Delay()
    {
        await Task.Delay(100, Ct);
        return true;
    }

    private static Task SetAsync(TestServer server, TenantInfo tenant, TenantQuota quota, long limit) =>
        server.Database.Catalog.SetQuotasAsync(tenant.Slug, new Dictionary<TenantQuota, long?> { [quota] = limit }, Ct);

    private static Task<HttpResponseMessage> SendJsonAsync(TestServer server, string token, string path, object body, string? accept = null)
    {
        var request = server.Request(HttpMethod.Post, path, token);
        request.Content = JsonContent.Create(body);
        if (accept is not null)
        {
            request.Headers.Accept.ParseAdd(accept);
        }

        return server.Client.SendAsync(request, Ct);
    }

    private static Task<HttpResponseMessage> PostWithoutWaitingAsync(TestServer server, string token, string title, string text)
    {
        var request = server.Request(HttpMethod.Post, "/v1/documents", token);
        request.Headers.Remove("Prefer");
        request.Content = JsonContent.Create(new { title, text });
        return server.Client.SendAsync(request, Ct);
    }

    private Task<long> StoredBytesAsync(TenantInfo tenant) =>
        postgres.ScalarAsync<long>(tenant.Database, "SELECT coalesce(sum(byte_size), 0)::bigint FROM documents WHERE tenant_id = $1", tenant.Id);

    // No document, chunk, job or stored upload of the tenant: the refusal came before anything was written.
    private async Task AssertNothingStoredAsync(TenantInfo tenant)
    {
        foreach (var table in new[] { "documents", "chunks", "ingest_jobs", "ingest_job_parts" })
        {
            Assert.True(await postgres.ScalarAsync<long>(tenant.Database, $"SELECT count(*) FROM {table} WHERE tenant_id = $1", tenant.Id) == 0, table);
        }
    }

    private async Task<TestServer> ServerAsync()
    {
        await Gate.WaitAsync(Ct);
        try
        {
            return _shared ??= await TestServer.StartAsync(postgres, Prefix, new Dictionary<string, string?>
            {
                ["Jobs:WorkersPerTenant"] = "2",
                ["Limits:RequestsPerSecond"] = "100000",
                ["Limits:Burst"] = "100000",
            });
        }
        finally
        {
            Gate.Release();
        }
    }
}
