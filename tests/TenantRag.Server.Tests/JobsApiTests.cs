using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using TenantRag.Server.Auth;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Server.Tests;

/// <summary>
/// Uploads are jobs: <c>POST /v1/documents</c> answers 202 with the job, which a worker of the server runs; the job
/// says how far it is, which documents it made or why it failed, and is scoped like documents (another tenant's job
/// id is 404, a colleague's private upload invisible), in both models.
/// </summary>
[Trait("Category", "Isolation")]
public sealed class JobsApiTests(PostgresServer postgres)
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static TestServer? _shared;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(TenancyMode.Shared)]
    [InlineData(TenancyMode.Dedicated)]
    public async Task Post_WithoutWaiting_Answers202AndTheJobStoresTheDocumentAndDropsTheUpload(TenancyMode mode)
    {
        var server = await ServerAsync();
        var (tenant, alice) = await TenantAsync(server, mode, "alice");
        var text = "# Parking\n\nVisitors park on level 2 of the garage, next to the lifts.\n";

        var accepted = await PostFileAsync(server, alice, "parking.md", text, "tenant");
        var body = await accepted.Content.ReadFromJsonAsync<JsonElement>(Ct);
        var id = body.GetProperty("jobId").GetGuid();
        var job = await WaitForJobAsync(server, alice, id);
        var documentId = job.GetProperty("documentIds")[0].GetGuid();
        var document = await server.GetAsync($"/v1/documents/{documentId}", alice);

        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.Equal($"/v1/jobs/{id}", accepted.Headers.Location?.OriginalString);
        Assert.Equal("queued", body.GetProperty("status").GetString());
        Assert.Equal(("succeeded", "done"), (job.GetProperty("status").GetString(), job.GetProperty("stage").GetString()));
        Assert.Equal(JsonValueKind.Null, job.GetProperty("error").ValueKind);
        Assert.Equal(("parking.md", "text/markdown", (long)Encoding.UTF8.GetByteCount(text)),
            (job.GetProperty("fileName").GetString(), job.GetProperty("mediaType").GetString(), job.GetProperty("byteSize").GetInt64()));
        Assert.True(job.GetProperty("chunksTotal").GetInt32() > 0);
        Assert.Equal(job.GetProperty("chunksTotal").GetInt32(), job.GetProperty("chunksDone").GetInt32());
        Assert.Equal(1, job.GetProperty("documentIds").GetArrayLength());
        Assert.Equal(HttpStatusCode.OK, document.StatusCode);
        Assert.Equal(0L, await postgres.ScalarAsync<long>(tenant.Database, "SELECT count(*) FROM ingest_job_parts WHERE job_id = $1", id));
    }

    [Theory]
    [InlineData(TenancyMode.Shared)]
    [InlineData(TenancyMode.Dedicated)]
    public async Task Jobs_AreSeenLikeTheirDocuments_ForeignAndColleaguesPrivateOnes404(TenancyMode mode)
    {
        var server = await ServerAsync();
        var (tenant, alice) = await TenantAsync(server, mode, "alice");
        var bob = Token(server, tenant.Slug, "bob");
        var (_, eve) = await TenantAsync(server, mode, "eve");
        var shared = await JobIdAsync(await PostFileAsync(server, alice, "handbook.md", "# Handbook\n\nLunch is served at noon.\n", "tenant"));
        var secret = await JobIdAsync(await PostFileAsync(server, alice, "review.md", "# Review\n\nAlice asks for a raise.\n", "private"));
        await WaitForJobAsync(server, alice, shared);
        await WaitForJobAsync(server, alice, secret);

        var statuses = new Dictionary<string, HttpStatusCode>();
        foreach (var (who, token) in new[] { ("alice", alice), ("bob", bob), ("eve", eve) })
        {
            foreach (var (what, job) in new[] { ("shared", shared), ("secret", secret) })
            {
                statuses[$"{who}/{what}"] = (await server.GetAsync($"/v1/jobs/{job}", token)).StatusCode;
                statuses[$"{who}/{what}/events"] = (await server.GetAsync($"/v1/jobs/{job}/events", token)).StatusCode;
            }
        }

        var bobsList = await (await server.GetAsync("/v1/jobs", bob)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        var alicesList = await (await server.GetAsync("/v1/jobs", alice)).Content.ReadFromJsonAsync<JsonElement>(Ct);

        Assert.Equal(
            new Dictionary<string, HttpStatusCode>
            {
                ["alice/shared"] = HttpStatusCode.OK, ["alice/shared/events"] = HttpStatusCode.OK,
                ["alice/secret"] = HttpStatusCode.OK, ["alice/secret/events"] = HttpStatusCode.OK,
                ["bob/shared"] = HttpStatusCode.OK, ["bob/shared/events"] = HttpStatusCode.OK,
                ["bob/secret"] = HttpStatusCode.NotFound, ["bob/secret/events"] = HttpStatusCode.NotFound,
                ["eve/shared"] = HttpStatusCode.NotFound, ["eve/shared/events"] = HttpStatusCode.NotFound,
                ["eve/secret"] = HttpStatusCode.NotFound, ["eve/secret/events"] = HttpStatusCode.NotFound,
            },
            statuses);
        Assert.Equal(0, bobsList.GetProperty("jobs").GetArrayLength());
        Assert.Equal([secret, shared], alicesList.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("id").GetGuid()));
    }

    [Fact]
    public async Task OpenApi_NamesTheJobRoutes_The202OfAnUpload_AndTheJobsFields()
    {
        var server = await ServerAsync();
        var openapi = await (await server.GetAsync("/openapi/v1.json", null)).Content.ReadFromJsonAsync<JsonElement>(Ct);

        var paths = openapi.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/v1/jobs", out var list) && list.TryGetProperty("get", out _));
        Assert.True(paths.TryGetProperty("/v1/jobs/{id}", out var one) && one.TryGetProperty("get", out _));
        Assert.Contains("text/event-stream", paths.GetProperty("/v1/jobs/{id}/events").GetRawText(), StringComparison.Ordinal);
        var upload = paths.GetProperty("/v1/documents").GetProperty("post");
        Assert.Contains("AcceptedResponse", upload.GetProperty("responses").GetProperty("202").GetRawText(), StringComparison.Ordinal);
        Assert.Contains("Prefer: wait", upload.GetProperty("description").GetString(), StringComparison.Ordinal);
        var job = openapi.GetProperty("components").GetProperty("schemas").GetProperty("JobResponse").GetProperty("properties");
        Assert.All(["id", "status", "stage", "chunksDone", "chunksTotal", "documentIds", "error", "createdAt", "startedAt", "finishedAt"],
            name => Assert.True(job.TryGetProperty(name, out _), $"JobResponse has no {name}"));
    }

    [Fact]
    public async Task List_PagesThroughTheCallersJobsNewestFirst_AndRefusesBadCursorsAndLimits()
    {
        var server = await ServerAsync();
        var (_, alice) = await TenantAsync(server, TenancyMode.Shared, "alice");
        var posted = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            posted.Add(await JobIdAsync(await PostFileAsync(server, alice, $"note-{i}.md", $"# Note {i}\n\nNumber {i} of five notes.\n", "tenant")));
        }

        var seen = new List<Guid>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var response = await server.GetAsync($"/v1/jobs?limit=2{(cursor is null ? string.Empty : "&cursor=" + cursor)}", alice);
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Ct));
            var page = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
            seen.AddRange(page.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("id").GetGuid()));
            cursor = page.GetProperty("next").GetString();
            pages++;
        }
        while (cursor is not null && pages < 10);

        var badCursor = await server.GetAsync("/v1/jobs?cursor=not-a-cursor!", alice);
        var badLimit = await server.GetAsync("/v1/jobs?limit=0", alice);

        Assert.Equal(3, pages);
        Assert.Equal(Enumerable.Reverse(posted), seen);
        Assert.Equal(HttpStatusCode.BadRequest, badCursor.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badLimit.StatusCode);
        Assert.Equal("application/problem+json", badCursor.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Events_StreamProgressUntilTheJobIsDone()
    {
        var server = await ServerAsync();
        var (_, alice) = await TenantAsync(server, TenancyMode.Shared, "alice");
        var text = string.Join("\n\n", File.ReadAllText("/usr/share/common-licenses/GPL-3").Split("\n\n").Take(60));
        var id = await JobIdAsync(await PostFileAsync(server, alice, "gpl.txt", text, "tenant"));

        var request = server.Request(HttpMethod.Get, $"/v1/jobs/{id}/events", alice);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var response = await server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
        var events = ParseEvents(await response.Content.ReadAsStringAsync(Ct));

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("done", events[^1].Name);
        Assert.All(events[..^1], e => Assert.Equal("progress", e.Name));
        var done = JsonDocument.Parse(events[^1].Data).RootElement;
        Assert.Equal("succeeded", done.GetProperty("status").GetString());
        var counts = events.Select(e => JsonDocument.Parse(e.Data).RootElement.GetProperty("chunksDone").GetInt32()).ToList();
        Assert.Equal(counts.Order(), counts);
        Assert.True(done.GetProperty("chunksTotal").GetInt32() > 10);
    }

    [Fact]
    public async Task Post_CorruptFile_JobFailsWithItsReason_UploadKeptUntilTheRetentionSweep()
    {
        var server = await ServerAsync();
        var (tenant, alice) = await TenantAsync(server, TenancyMode.Shared, "alice");

        var id = await JobIdAsync(await PostFileAsync(server, alice, "scan.pdf", "this is not a PDF at all", "tenant"));
        var job = await WaitForJobAsync(server, alice, id);
        var partsAfterFailure = await postgres.ScalarAsync<long>(tenant.Database, "SELECT count(*) FROM ingest_job_parts WHERE job_id = $1", id);
        var waited = server.Request(HttpMethod.Post, "/v1/documents", alice);
        waited.Content = new MultipartFormDataContent { { new ByteArrayContent("still not a PDF at all"u8.ToArray()), "file", "scan2.pdf" } };
        var refused = await server.Client.SendAsync(waited, Ct);
        var swept = await server.Database.JobQueue.SweepAsync(TimeSpan.Zero, TimeSpan.FromDays(30), Ct);
        var partsAfterSweep = await postgres.ScalarAsync<long>(tenant.Database, "SELECT count(*) FROM ingest_job_parts WHERE job_id = $1", id);
        var stillListed = await server.GetAsync($"/v1/jobs/{id}", alice);

        Assert.Equal("failed", job.GetProperty("status").GetString());
        Assert.Equal("Corrupt", job.GetProperty("error").GetProperty("reason").GetString());
        Assert.Contains("PDF", job.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Empty(job.GetProperty("documentIds").EnumerateArray());
        Assert.Equal(1L, partsAfterFailure);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Equal("Corrupt", (await refused.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("reason").GetString());
        Assert.True(swept.Uploads >= 1);
        Assert.Equal(0L, partsAfterSweep);
        Assert.Equal(HttpStatusCode.OK, stillListed.StatusCode);
    }

    [Theory]
    [InlineData("setup.exe", "MZ not a document", "UnsupportedType")]
    [InlineData("empty.md", "", "EmptyFile")]
    public async Task Post_FileNoExtractorReadsOrEmpty_RefusedAtOnceAndNoJobStored(string fileName, string content, string reason)
    {
        var server = await ServerAsync();
        var (tenant, alice) = await TenantAsync(server, TenancyMode.Shared, "alice");

        var refused = await PostFileAsync(server, alice, fileName, content, "tenant");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Equal(reason, (await refused.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("reason").GetString());
        Assert.Equal(0L, await postgres.ScalarAsync<long>(tenant.Database, "SELECT count(*) FROM ingest_jobs WHERE tenant_id = $1", tenant.Id));
    }

    // An upload answered at once (no Prefer: wait), as the web page sends it.
    private static Task<HttpResponseMessage> PostFileAsync(TestServer server, string token, string fileName, string content, string visibility)
    {
        var request = server.Request(HttpMethod.Post, "/v1/documents", token);
        request.Headers.Remove("Prefer");
        request.Content = new MultipartFormDataContent
        {
            { new ByteArrayContent(Encoding.UTF8.GetBytes(content)), "file", fileName },
            { new StringContent(visibility), "visibility" },
        };
        return server.Client.SendAsync(request, Ct);
    }

    private static async Task<Guid> JobIdAsync(HttpResponseMessage accepted)
    {
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        return (await accepted.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("jobId").GetGuid();
    }

    private static async Task<JsonElement> WaitForJobAsync(TestServer server, string token, Guid id)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            var job = await (await server.GetAsync($"/v1/jobs/{id}", token)).Content.ReadFromJsonAsync<JsonElement>(Ct);
            if (job.GetProperty("status").GetString() is "succeeded" or "failed")
            {
                return job;
            }

            Assert.True(DateTime.UtcNow < deadline, $"job {id} did not finish within 120 s: {job}");
            await Task.Delay(100, Ct);
        }
    }

    private static async Task<(TenantInfo Tenant, string Token)> TenantAsync(TestServer server, TenancyMode mode, string user)
    {
        var tenant = await server.Database.Catalog.CreateAsync(Slugs.Unique("jobs"), mode, Ct);
        return (tenant, Token(server, tenant.Slug, user));
    }

    private static string Token(TestServer server, TenantSlug tenant, string user) =>
        DevelopmentTokenIssuer.LoadOrCreate(server.Home).Issue(tenant, UserId.Parse(user), TimeSpan.FromMinutes(30), []);

    private async Task<TestServer> ServerAsync()
    {
        await Gate.WaitAsync(Ct);
        try
        {
            return _shared ??= await TestServer.StartAsync(postgres, "s_jobs");
        }
        finally
        {
            Gate.Release();
        }
    }

    private static List<(string Name, string Data)> ParseEvents(string stream) =>
        [.. stream.Replace("\r\n", "\n", StringComparison.Ordinal).Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(block => block.Split('\n'))
            .Select(lines => (
                lines.FirstOrDefault(l => l.StartsWith("event: ", StringComparison.Ordinal))?[7..] ?? "message",
                string.Join('\n', lines.Where(l => l.StartsWith("data: ", StringComparison.Ordinal)).Select(l => l[6..]))))];
}
