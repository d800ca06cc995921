using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TenantRag.Server.Auth;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Server.Tests;

/// <summary>
/// Two serving processes on one installation share the upload jobs (each claims with a lease under a row lock), and
/// one tenant's many uploads do not hold up another tenant's one (the workers take the tenants in turn, and keep a
/// slot for a tenant with nothing running).
/// </summary>
public sealed class JobSharingTests(PostgresServer postgres)
{
    private const string Prefix = "s_share";

    private static readonly Dictionary<string, string?> OneWorkerPolling = new()
    {
        ["Jobs:Workers"] = "1",
        ["Jobs:PollMilliseconds"] = "100",
    };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TwoServers_ShareTheJobs_EachJobRunOnceAndEachDocumentStoredOnce()
    {
        var model = new SlowEmbeddingGenerator(TimeSpan.FromMilliseconds(300));
        await using var first = await TestServer.StartAsync(postgres, Prefix, OneWorkerPolling, model);
        await using var second = await TestServer.StartAsync(postgres, Prefix, OneWorkerPolling, model);
        var tenant = await first.Database.Catalog.CreateAsync(Slugs.Unique("share"), TenancyMode.Shared, Ct);
        var token = DevelopmentTokenIssuer.LoadOrCreate(first.Home).Issue(tenant.Slug, UserId.Parse("alice"), TimeSpan.FromMinutes(30), []);

        var jobs = new List<Guid>();
        for (var i = 0; i < 6; i++)
        {
            jobs.Add(await PostAsync(first, token, $"note-{i}.md", $"# Note {i}\n\nThe {i}th note of six, about shared work.\n"));
        }

        foreach (var job in jobs)
        {
            await WaitForJobAsync(second, token, job);
        }

        var rows = await postgres.QueryAsync(tenant.Database, "SELECT status, attempt, lease_owner FROM ingest_jobs WHERE tenant_id = $1", tenant.Id);
        Assert.Equal(6, rows.Count);
        Assert.All(rows, r => Assert.Equal(("succeeded", 1), ((string)r[0]!, (int)r[1]!)));
        Assert.Equal(2, rows.Select(r => (string)r[2]!).Distinct().Count());
        Assert.Equal(6L, await postgres.ScalarAsync<long>(tenant.Database, "SELECT count(*) FROM documents WHERE tenant_id = $1", tenant.Id));
        Assert.Equal(6L, await postgres.ScalarAsync<long>(tenant.Database, "SELECT count(DISTINCT source) FROM documents WHERE tenant_id = $1", tenant.Id));
    }

    [Fact]
    public async Task OneTenantsSingleFile_QueuedBehindAnotherTenantsMany_IsTakenUpInItsTurn()
    {
        var model = new SlowEmbeddingGenerator(TimeSpan.FromMilliseconds(300));
        await using var server = await TestServer.StartAsync(postgres, Prefix + "rr", OneWorkerPolling, model);
        var issuer = DevelopmentTokenIssuer.LoadOrCreate(server.Home);
        var busy = await server.Database.Catalog.CreateAsync(Slugs.Unique("busy"), TenancyMode.Shared, Ct);
        var quiet = await server.Database.Catalog.CreateAsync(Slugs.Unique("quiet"), TenancyMode.Dedicated, Ct);
        var busyToken = issuer.Issue(busy.Slug, UserId.Parse("bulk"), TimeSpan.FromMinutes(30), []);
        var quietToken = issuer.Issue(quiet.Slug, UserId.Parse("single"), TimeSpan.FromMinutes(30), []);

        var many = new List<Guid>();
        for (var i = 0; i < 8; i++)
        {
            many.Add(await PostAsync(server, busyToken, $"bulk-{i}.md", $"# Bulk {i}\n\nBulk file number {i} of the busy tenant.\n"));
        }

        var single = await PostAsync(server, quietToken, "single.md", "# Single\n\nThe quiet tenant's only file.\n");
        await WaitForJobAsync(server, quietToken, single);
        var busyDone = 0;
        foreach (var job in many)
        {
            var state = await (await server.GetAsync($"/v1/jobs/{job}", busyToken)).Content.ReadFromJsonAsync<JsonElement>(Ct);
            busyDone += state.GetProperty("status").GetString() == "succeeded" ? 1 : 0;
        }

        // One worker, eight files ahead: taking tenants in turn, the single file runs second or third, not ninth.
        Assert.InRange(busyDone, 0, 3);
    }

    [Fact]
    public async Task OneTenantsSingleFile_AllWorkersBusyWithAnotherTenant_StartsAtOnceInTheSpareSlot()
    {
        var model = new SlowEmbeddingGenerator(TimeSpan.FromMilliseconds(1500));
        await using var server = await TestServer.StartAsync(postgres, Prefix + "sp", OneWorkerPolling, model);
        var issuer = DevelopmentTokenIssuer.LoadOrCreate(server.Home);
        var busy = await server.Database.Catalog.CreateAsync(Slugs.Unique("busy"), TenancyMode.Dedicated, Ct);
        var quiet = await server.Database.Catalog.CreateAsync(Slugs.Unique("quiet"), TenancyMode.Shared, Ct);
        var busyToken = issuer.Issue(busy.Slug, UserId.Parse("bulk"), TimeSpan.FromMinutes(30), []);
        var quietToken = issuer.Issue(quiet.Slug, UserId.Parse("single"), TimeSpan.FromMinutes(30), []);

        var many = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            many.Add(await PostAsync(server, busyToken, $"bulk-{i}.md", $"# Bulk {i}\n\nBulk file number {i} of the busy tenant.\n"));
        }

        await model.FirstCall.WaitAsync(TimeSpan.FromSeconds(60), Ct);
        var single = await PostAsync(server, quietToken, "single.md", "# Single\n\nThe quiet tenant's only file.\n");
        await WaitForJobAsync(server, quietToken, single);
        foreach (var job in many)
        {
            await WaitForJobAsync(server, busyToken, job);
        }

        // The one worker was busy with the busy tenant's first file (1.5 s of embedding) when the single file came: it
        // started in the spare slot before that file was done, and the busy tenant never had two files running at once.
        var singleStarted = await postgres.ScalarAsync<DateTime>(quiet.Database, "SELECT started_at FROM ingest_jobs WHERE id = $1", single);
        var busyRuns = await postgres.QueryAsync(busy.Database, "SELECT started_at, finished_at FROM ingest_jobs WHERE tenant_id = $1 ORDER BY started_at", busy.Id);
        Assert.Equal(3, busyRuns.Count);
        Assert.True(singleStarted < (DateTime)busyRuns[0][1]!, $"the single file started at {singleStarted:O}, after the busy tenant's first file ended at {busyRuns[0][1]:O}");
        for (var i = 1; i < busyRuns.Count; i++)
        {
            Assert.True((DateTime)busyRuns[i][0]! >= (DateTime)busyRuns[i - 1][1]!, "two of the busy tenant's files ran at once with one worker");
        }
    }

    [Fact]
    public async Task TwoWorkers_OneTenantsJobsRunOneAtATime_TheOtherWorkerServesAnotherTenant()
    {
        var model = new SlowEmbeddingGenerator(TimeSpan.FromMilliseconds(400));
        await using var server = await TestServer.StartAsync(postgres, Prefix + "pt", new Dictionary<string, string?> { ["Jobs:Workers"] = "2" }, model);
        var (bulk, bulkToken) = await Uploads.TenantAsync(server, "bulk", TenancyMode.Dedicated);
        var (other, otherToken) = await Uploads.TenantAsync(server, "other");

        var many = new List<Guid>();
        for (var i = 0; i < 4; i++)
        {
            many.Add(await PostAsync(server, bulkToken, $"bulk-{i}.md", $"# Bulk {i}\n\nBulk file number {i} of the busy tenant.\n"));
        }

        var mine = new List<Guid>();
        for (var i = 0; i < 2; i++)
        {
            mine.Add(await PostAsync(server, otherToken, $"mine-{i}.md", $"# Mine {i}\n\nFile {i} of the other tenant.\n"));
        }

        foreach (var job in many)
        {
            await WaitForJobAsync(server, bulkToken, job);
        }

        foreach (var job in mine)
        {
            await WaitForJobAsync(server, otherToken, job);
        }

        // Jobs:WorkersPerTenant is 1: neither tenant ever had two jobs running at once, and the two tenants' did run side by side.
        var bulkRuns = await RunsAsync(bulk);
        var otherRuns = await RunsAsync(other);
        Assert.All(new[] { bulkRuns, otherRuns }, runs => Assert.All(runs.Zip(runs.Skip(1)), pair => Assert.True(pair.Second.Start >= pair.First.End,
            $"a job started at {pair.Second.Start:O} before the tenant's previous one ended at {pair.First.End:O}")));
        Assert.Contains(otherRuns, o => bulkRuns.Any(b => o.Start < b.End && b.Start < o.End));
    }

    [Theory]
    [InlineData(0, 0, 2, 1, true)]
    [InlineData(1, 0, 2, 1, false)]
    [InlineData(0, 1, 2, 1, true)]
    [InlineData(0, 2, 2, 1, true)]
    [InlineData(0, 3, 2, 1, false)]
    [InlineData(1, 0, 2, 2, true)]
    [InlineData(1, 1, 2, 2, false)]
    [InlineData(1, 1, 2, 1, false)]
    [InlineData(2, 0, 2, 2, false)]
    public void HasSlot_PerTenantCapThenWorkersThenOneSpareForATenantWithNoneRunning(int own, int others, int workers, int perTenant, bool expected)
    {
        var running = Enumerable.Repeat(("mine", Task.CompletedTask), own).Concat(Enumerable.Repeat(("theirs", Task.CompletedTask), others)).ToList();
        Assert.Equal(expected, TenantRag.Server.Jobs.IngestionJobWorker.HasSlot(running, "mine", workers, perTenant));
    }

    private async Task<(DateTime Start, DateTime End)[]> RunsAsync(TenantInfo tenant) =>
        [.. (await postgres.QueryAsync(tenant.Database, "SELECT started_at, finished_at FROM ingest_jobs WHERE tenant_id = $1 ORDER BY started_at", tenant.Id))
            .Select(r => ((DateTime)r[0]!, (DateTime)r[1]!))];

    // Each upload wakes the workers at once, also the first one after a job ended (the worker's wait for that signal
    // once stood beside a new one, and swallowed it): with a poll of a minute, a wake that is lost shows.
    [Fact]
    public async Task UploadAfterAJobEnded_WakesTheWorkersAtOnce_NotAtTheirNextPoll()
    {
        var model = new SlowEmbeddingGenerator(TimeSpan.FromMilliseconds(300));
        await using var server = await TestServer.StartAsync(postgres, Prefix + "wk", new Dictionary<string, string?>
        {
            ["Jobs:Workers"] = "1",
            ["Jobs:PollMilliseconds"] = "60000",
        }, model);
        var (_, token) = await Uploads.TenantAsync(server, "wake");

        for (var i = 0; i < 3; i++)
        {
            var job = await PostAsync(server, token, $"note-{i}.md", $"# Note {i}\n\nNote {i}, posted after the one before it was done.\n");
            await WaitForJobAsync(server, token, job, seconds: 30);
        }
    }

    // A tenant at its own limit (Jobs:WorkersPerTenant) with more queued: its next job starts when the one before it
    // ends, though a worker was free all along (the workers once woke for an ending job only when all were busy).
    [Fact]
    public async Task OneTenantsQueuedJobs_WithAWorkerFree_RunBackToBack_NotAPollApart()
    {
        var model = new SlowEmbeddingGenerator(TimeSpan.FromMilliseconds(300));
        await using var server = await TestServer.StartAsync(postgres, Prefix + "bb", new Dictionary<string, string?>
        {
            ["Jobs:Workers"] = "2",
            ["Jobs:PollMilliseconds"] = "60000",
        }, model);
        var (_, token) = await Uploads.TenantAsync(server, "back");

        var jobs = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            jobs.Add(await PostAsync(server, token, $"queued-{i}.md", $"# Queued {i}\n\nFile {i} of three posted together.\n"));
        }

        foreach (var job in jobs)
        {
            await WaitForJobAsync(server, token, job, seconds: 30);
        }
    }

    private static async Task<Guid> PostAsync(TestServer server, string token, string fileName, string text)
    {
        var request = server.Request(HttpMethod.Post, "/v1/documents", token);
        request.Headers.Remove("Prefer");
        request.Content = new MultipartFormDataContent { { new StringContent(text), "file", fileName } };
        var accepted = await server.Client.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        return (await accepted.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("jobId").GetGuid();
    }

    private static async Task WaitForJobAsync(TestServer server, string token, Guid id, int seconds = 120)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var job = await (await server.GetAsync($"/v1/jobs/{id}", token)).Content.ReadFromJsonAsync<JsonElement>(Ct);
            if (job.GetProperty("status").GetString() is "succeeded" or "failed")
            {
                Assert.Equal("succeeded", job.GetProperty("status").GetString());
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"job {id} did not finish within {seconds} s: {job}");
            await Task.Delay(100, Ct);
        }
    }
}
