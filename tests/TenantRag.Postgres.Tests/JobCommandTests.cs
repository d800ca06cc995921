using System.Text;
using System.Text.Json;
using TenantRag.Documents;
using TenantRag.Jobs;
using TenantRag.Postgres.Installation;
using TenantRag.Postgres.Jobs;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Postgres.Tests;

/// <summary>
/// <c>tenantrag jobs list|show</c> through the real command line, acting as a user through a tenant session: the
/// user's own upload jobs (list) and those the user may see (show), with their progress, documents and errors, and
/// nothing of another tenant or a colleague's private upload, in both isolation models. The jobs are made as the API
/// makes them (<see cref="IngestJobStore.CreateAsync"/>) and moved on as a worker moves them (<see cref="IngestJobQueue"/>),
/// in this process, on the installation the command line uses (same secrets), one of this class's own.
/// </summary>
[Trait("Category", "Isolation")]
public sealed class JobCommandTests(PostgresServer server) : IAsyncLifetime
{
    // An installation of its own, so that this class runs beside the other command-line tests.
    private const string Prefix = "trcli_jobs";

    private const string Worker = "jobs-cli-test";
    private const string Corrupt = "the file scan.pdf is not a PDF that can be read (\u001b[2Jno header); export it again and upload it";

    // The fields of a job as GET /v1/jobs/{id} answers it (JobsApi.JobResponse), in its order.
    private static readonly string[] JobFields =
    [
        "id", "status", "stage", "chunksDone", "chunksTotal", "documentIds", "error", "fileName", "title", "mediaType", "byteSize",
        "visibility", "owner", "attempt", "createdAt", "startedAt", "updatedAt", "finishedAt",
    ];

    private static readonly TimeSpan Lease = TimeSpan.FromHours(1);

    private readonly CliRunner _cli = TenantRagCli.For(server, Prefix);

    private readonly List<TenantSlug> _tenants = [];
    private TenantRagDatabase _database = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        // The command line's own secrets (its TENANTRAG_HOME), so that both open the same roles with the same passwords.
        await server.TrackPrefixAsync(Prefix);
        _database = await TenantRagDatabase.OpenAsync(server.Endpoint, Secrets.LoadOrCreate(new TenantRagHome(_cli.Home)),
            new TenancyOptions { Prefix = Prefix }, cancellationToken: Ct);
    }

    [Theory]
    [InlineData(TenancyMode.Shared)]
    [InlineData(TenancyMode.Dedicated)]
    public async Task Jobs_ListAndShow_TheUsersJobsWithProgressDocumentsAndErrors_NothingOfOthers(TenancyMode mode)
    {
        var tenant = await TenantAsync(mode);
        var other = await TenantAsync(mode);
        var stored = new[] { Guid.NewGuid(), Guid.NewGuid() };
        var succeeded = await JobAsync(tenant, "alice", "guide.md", DocumentVisibility.Tenant, async job =>
        {
            await _database.JobQueue.ReportAsync(job, "embedding", 3, 7, Lease, Ct);
            await _database.JobQueue.CompleteAsync(job, stored, "{}", 7, Ct);
        });
        var failed = await JobAsync(tenant, "alice", "scan\u001b[31m.pdf", DocumentVisibility.Tenant,
            job => _database.JobQueue.FailAsync(job, "Corrupt", Corrupt, null, [], Ct));
        var running = await JobAsync(tenant, "alice", "manual.pdf", DocumentVisibility.Tenant,
            job => _database.JobQueue.ReportAsync(job, "embedding", 12, 57, Lease, Ct));
        var retrying = await JobAsync(tenant, "alice", "notes.txt", DocumentVisibility.Tenant,
            job => _database.JobQueue.RetryAsync(job, Lease, "StoreFailed", "the database could not store the document", Ct));
        var queued = await JobAsync(tenant, "alice", "review.md", DocumentVisibility.Private, drive: null);
        var bobs = await JobAsync(tenant, "bob", "salary.md", DocumentVisibility.Private, drive: null);
        var foreign = await JobAsync(other, "alice", "theirs.md", DocumentVisibility.Tenant, drive: null);

        var aliceList = await RunAsync(0, "jobs", "list", tenant.Slug.Value, "--user", "alice", "--json");
        var aliceText = await RunAsync(0, "jobs", "list", tenant.Slug.Value, "--user", "alice");
        var bobList = await RunAsync(0, "jobs", "list", tenant.Slug.Value, "--user", "bob", "--json");
        var showFailed = await RunAsync(0, "jobs", "show", tenant.Slug.Value, failed.ToString(), "--user", "alice", "--json");
        var showFailedText = await RunAsync(0, "jobs", "show", tenant.Slug.Value, failed.ToString(), "--user", "alice");
        var showSucceeded = await RunAsync(0, "jobs", "show", tenant.Slug.Value, succeeded.ToString(), "--user", "alice", "--json");
        var showSucceededText = await RunAsync(0, "jobs", "show", tenant.Slug.Value, succeeded.ToString(), "--user", "alice");
        var showRetryingText = await RunAsync(0, "jobs", "show", tenant.Slug.Value, retrying.ToString(), "--user", "alice");
        var bobSeesTenantWide = await RunAsync(0, "jobs", "show", tenant.Slug.Value, running.ToString(), "--user", "bob", "--json");
        var bobSeesPrivate = await RunAsync(1, "jobs", "show", tenant.Slug.Value, queued.ToString(), "--user", "bob");
        var aliceSeesBobs = await RunAsync(1, "jobs", "show", tenant.Slug.Value, bobs.ToString(), "--user", "alice");
        var foreignId = await RunAsync(1, "jobs", "show", tenant.Slug.Value, foreign.ToString(), "--user", "alice");
        var foreignTenant = await RunAsync(1, "jobs", "show", other.Slug.Value, running.ToString(), "--user", "alice", "--json");

        var jobs = aliceList.Json().GetProperty("jobs").EnumerateArray().ToList();
        Assert.Equal([queued, retrying, running, failed, succeeded], jobs.Select(Id));
        Assert.All(jobs, j => Assert.Equal(JobFields, j.EnumerateObject().Select(p => p.Name)));
        Assert.Equal((tenant.Slug.Value, "alice"), (aliceList.Json().GetProperty("tenant").GetString(), aliceList.Json().GetProperty("user").GetString()));
        Assert.Equal(JsonValueKind.Null, aliceList.Json().GetProperty("next").ValueKind);
        Assert.Equal(
            [("queued", "queued", 0, 0), ("queued", "queued", 0, 0), ("running", "embedding", 12, 57), ("failed", "done", 0, 0), ("succeeded", "done", 7, 7)],
            jobs.Select(j => (j.GetProperty("status").GetString(), j.GetProperty("stage").GetString(), j.GetProperty("chunksDone").GetInt32(), j.GetProperty("chunksTotal").GetInt32())));
        Assert.Equal([bobs], bobList.Json().GetProperty("jobs").EnumerateArray().Select(Id));

        var lines = aliceText.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(6, lines.Length);
        Assert.StartsWith("ID ", lines[0], StringComparison.Ordinal);
        Assert.Equal([queued, retrying, running, failed, succeeded], lines[1..].Select(l => Guid.Parse(l[..36])));
        Assert.Contains("12/57", lines[3], StringComparison.Ordinal);
        Assert.Contains("embedding", lines[3], StringComparison.Ordinal);
        Assert.Contains("Corrupt: the file scan.pdf is not a PDF", lines[4], StringComparison.Ordinal);
        Assert.Contains("7/7", lines[5], StringComparison.Ordinal);
        Assert.DoesNotContain("salary", aliceText.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', aliceText.StdOut);

        var failedJob = showFailed.Json();
        Assert.Equal(JobFields, failedJob.EnumerateObject().Select(p => p.Name));
        Assert.Equal(("failed", "Corrupt", Corrupt), (failedJob.GetProperty("status").GetString(),
            failedJob.GetProperty("error").GetProperty("reason").GetString(), failedJob.GetProperty("error").GetProperty("message").GetString()));
        Assert.Equal(JsonValueKind.String, failedJob.GetProperty("finishedAt").ValueKind);
        Assert.Contains("status:     failed", showFailedText.StdOut, StringComparison.Ordinal);
        Assert.Contains("error:      Corrupt: the file scan.pdf is not a PDF that can be read (", showFailedText.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', showFailedText.StdOut);

        Assert.Equal(stored, showSucceeded.Json().GetProperty("documentIds").EnumerateArray().Select(d => d.GetGuid()));
        Assert.Equal(JsonValueKind.Null, showSucceeded.Json().GetProperty("error").ValueKind);
        Assert.All(stored, d => Assert.Contains(d.ToString(), showSucceededText.StdOut, StringComparison.Ordinal));
        Assert.Contains("guide.md", showSucceededText.StdOut, StringComparison.Ordinal);
        Assert.Contains("last error: StoreFailed: the database could not store the document (it will be tried again)", showRetryingText.StdOut, StringComparison.Ordinal);

        Assert.Equal(running, Id(bobSeesTenantWide.Json()));
        Assert.All(new[] { bobSeesPrivate, aliceSeesBobs, foreignId, foreignTenant }, r =>
        {
            Assert.Equal(string.Empty, r.StdOut);
            Assert.Matches("^(error: no job |\\{\"error\":\"no job )", r.StdErr); // --json: the error as JSON
            Assert.Single(r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        });
    }

    [Fact]
    public async Task JobsList_LimitCursorAll_WalkEveryJobOnceNewestFirst()
    {
        var tenant = await TenantAsync(TenancyMode.Shared);
        var created = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            created.Add(await JobAsync(tenant, "carol", $"note-{i}.md", DocumentVisibility.Tenant, drive: null));
        }

        var first = await RunAsync(0, "jobs", "list", tenant.Slug.Value, "--user", "carol", "--limit", "2", "--json");
        var second = await RunAsync(0, "jobs", "list", tenant.Slug.Value, "--user", "carol", "--limit", "2", "--cursor", first.Json().GetProperty("next").GetString()!, "--json");
        var all = await RunAsync(0, "jobs", "list", tenant.Slug.Value, "--user", "carol", "--limit", "2", "--all", "--json");
        var text = await RunAsync(0, "jobs", "list", tenant.Slug.Value, "--user", "carol", "--limit", "2");
        var nobody = await RunAsync(0, "jobs", "list", tenant.Slug.Value, "--user", "dave");

        created.Reverse();
        Assert.Equal(created, Ids(all));
        Assert.Equal(created[..4], Ids(first).Concat(Ids(second)));
        Assert.Equal(JsonValueKind.Null, all.Json().GetProperty("next").ValueKind);
        Assert.Contains("--cursor ", text.StdOut, StringComparison.Ordinal);
        Assert.StartsWith("no jobs of user dave", nobody.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Jobs_BadUsage_Exit2WithOneLineError_UnknownTenantOrJobExit1()
    {
        var tenant = await TenantAsync(TenancyMode.Shared);
        var slug = tenant.Slug.Value;
        var keep = await JobAsync(tenant, "dave", "keep.md", DocumentVisibility.Tenant, drive: null);

        var runs = new (CliRun Run, string Says)[]
        {
            (await _cli.RunAsync("jobs", "show", slug, "not-a-guid", "--user", "dave"), "invalid job id 'not-a-guid'"),
            (await _cli.RunAsync("jobs", "show", slug, "../" + keep, "--user", "dave"), "invalid job id"),
            (await _cli.RunAsync("jobs", "show", slug, "--user", "dave"), "'show' needs <id>"),
            (await _cli.RunAsync("jobs", "list", "Bad_Slug"), "Bad_Slug"),
            (await _cli.RunAsync("jobs", "list", slug, "--user", " padded "), "user"),
            (await _cli.RunAsync("jobs", "list", slug, "--limit", "0"), "limit"),
            (await _cli.RunAsync("jobs", "list", slug, "--limit", "201"), "limit"),
            (await _cli.RunAsync("jobs", "list", slug, "--cursor", "made-up!"), "cursor"),
            (await _cli.RunAsync("jobs", "cancel", slug), "cancel"),
        };
        var unknownTenant = await _cli.RunAsync("jobs", "list", Slugs.UniqueText("nobody"));
        var unknownJob = await _cli.RunAsync("jobs", "show", slug, Guid.NewGuid().ToString(), "--user", "dave");

        Assert.All(runs, r =>
        {
            Assert.True(r.Run.ExitCode == 2, r.Run.ToString());
            Assert.StartsWith("error: ", r.Run.StdErr, StringComparison.Ordinal);
            Assert.Contains(r.Says, r.Run.StdErr, StringComparison.Ordinal);
            Assert.Equal(string.Empty, r.Run.StdOut);
        });
        Assert.True(unknownTenant.ExitCode == 1, unknownTenant.ToString());
        Assert.Contains("does not exist", unknownTenant.StdErr, StringComparison.Ordinal);
        Assert.True(unknownJob.ExitCode == 1, unknownJob.ToString());
        Assert.StartsWith("error: no job ", unknownJob.StdErr, StringComparison.Ordinal);
        Assert.Equal([keep], Ids(await RunAsync(0, "jobs", "list", slug, "--user", "dave", "--json")));
    }

    public async ValueTask DisposeAsync()
    {
        // Gone with their tenants, so that a later 'serve' on this installation finds no jobs of these tests to run.
        foreach (var slug in _tenants)
        {
            await _database.Catalog.DeleteAsync(slug, CancellationToken.None);
        }

        await _database.DisposeAsync();
        _cli.Dispose();
    }

    private static Guid Id(JsonElement job) => job.GetProperty("id").GetGuid();

    private static List<Guid> Ids(CliRun run) => [.. run.Json().GetProperty("jobs").EnumerateArray().Select(Id)];

    private async Task<TenantInfo> TenantAsync(TenancyMode mode)
    {
        var tenant = await _database.Catalog.CreateAsync(Slugs.Unique("jobs"), mode, Ct);
        _tenants.Add(tenant.Slug);
        return tenant;
    }

    // A job stored as POST /v1/documents stores one, then (unless drive is null) claimed and moved on as a worker would.
    private async Task<Guid> JobAsync(TenantInfo tenant, string user, string fileName, DocumentVisibility visibility, Func<IngestJobQueue.ClaimedJob, Task>? drive)
    {
        var content = Encoding.UTF8.GetBytes($"# {fileName}\n\nThe upload of {user}.\n");
        using var stream = new MemoryStream(content);
        var job = await _database.Jobs.CreateAsync(TenantContext.For(tenant.Slug, UserId.Parse(user)), new NewIngestJob
        {
            FileName = fileName, Source = fileName, MediaType = MediaType(fileName), Visibility = visibility, ByteSize = content.Length,
        }, stream, Ct);
        if (drive is not null)
        {
            var claimed = await _database.JobQueue.TryClaimAsync(tenant, Worker, Lease, Ct);
            Assert.Equal(job.Id, claimed?.Id);
            await drive(claimed!);
        }

        return job.Id;
    }

    private static string MediaType(string fileName) => Path.GetExtension(fileName) switch
    {
        ".pdf" => "application/pdf",
        ".txt" => "text/plain",
        _ => "text/markdown",
    };

    private async Task<CliRun> RunAsync(int exitCode, params string[] args)
    {
        var run = await _cli.RunAsync(args);
        Assert.True(run.ExitCode == exitCode, $"tenantrag {string.Join(' ', args)}: {run}");
        return run;
    }
}
