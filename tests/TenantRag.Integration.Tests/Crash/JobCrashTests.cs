using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using TenantRag.Postgres.Cluster;
using TenantRag.Postgres.Installation;
using TenantRag.Testing;

namespace TenantRag.Integration.Tests.Crash;

/// <summary>
/// Upload jobs survive real crashes, on a cluster of the test's own: the serving process killed with SIGKILL in the
/// middle of a job (another process takes the job up once its lease expires), and PostgreSQL stopped with
/// <c>pg_ctl stop -m immediate</c> in the middle of one (the job is taken up again once it is back). Each time the
/// document ends up stored exactly once, with every chunk, and the upload is gone.
/// </summary>
public sealed class JobCrashTests : IAsyncLifetime
{
    private const string FileName = "licenses.txt";

    private static readonly Dictionary<string, string> ServeEnvironment = new()
    {
        ["TenantRag__Jobs__LeaseSeconds"] = "4",
        ["TenantRag__Jobs__PollMilliseconds"] = "200",
    };

    private readonly TenantRagHome _home = new(Path.Combine(Path.GetTempPath(), "tenantrag-jobcrash-" + Slugs.RandomLetters(8)));
    private EmbeddedCluster _cluster = null!;
    private ServerEndpoint _endpoint = null!;
    private CliRunner _cli = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        var secrets = Secrets.LoadOrCreate(_home);
        _cluster = await EmbeddedCluster.OpenAsync(_home, secrets, new EmbeddedClusterOptions { Durable = true });
        _endpoint = await _cluster.EnsureStartedAsync();
        var url = $"postgres://{Uri.EscapeDataString(_endpoint.BootstrapUsername)}:{Uri.EscapeDataString(_endpoint.BootstrapPassword)}@{_endpoint.Host}:{_endpoint.Port}/postgres";
        _cli = new CliRunner(url, Path.Combine(AppContext.BaseDirectory, "tenantrag.dll"));
    }

    public async ValueTask DisposeAsync()
    {
        _cli.Dispose();
        NpgsqlConnection.ClearAllPools();
        await _cluster.StopAsync(immediate: true);
        Directory.Delete(_home.Root, recursive: true);
    }

    [Theory]
    [InlineData("shared")]
    [InlineData("dedicated")]
    public async Task ServerKilled_InTheMiddleOfAJob_AnotherServerFinishesItOnceWithEveryChunk(string mode)
    {
        var (slug, database) = await CreateTenantAsync(mode);
        Guid job;
        string firstWorker;
        await using (var first = await StartServeAsync())
        {
            job = await UploadAsync(first, slug);
            await WaitUntilEmbeddingAsync(database, job);
            await first.KillAsync();
            firstWorker = await ScalarAsync<string>(database, "SELECT lease_owner FROM ingest_jobs WHERE id = $1", job);
        }

        await using var second = await StartServeAsync();
        var done = await WaitForJobAsync(second, slug, job);

        await AssertStoredOnceAsync(database, job, done);
        Assert.Equal(2, done.GetProperty("attempt").GetInt32());
        Assert.NotEqual(firstWorker, await ScalarAsync<string>(database, "SELECT lease_owner FROM ingest_jobs WHERE id = $1", job));
        await second.StopAsync();
    }

    [Fact]
    public async Task PostgresStoppedImmediately_InTheMiddleOfAJob_TheJobFinishesOnceWhenItIsBack()
    {
        var (slug, database) = await CreateTenantAsync("shared");
        await using var serve = await StartServeAsync();
        var job = await UploadAsync(serve, slug);
        await WaitUntilEmbeddingAsync(database, job);

        NpgsqlConnection.ClearAllPools();
        await _cluster.StopAsync(immediate: true, Ct);
        await Task.Delay(TimeSpan.FromSeconds(3), Ct);
        await _cluster.EnsureStartedAsync(Ct);
        var done = await WaitForJobAsync(serve, slug, job);

        // The worker may ride out the outage (its store retried until the database was back, its lease not yet taken)
        // or give the job up to its lease: either way the document is stored once and whole.
        await AssertStoredOnceAsync(database, job, done);
        await serve.StopAsync();
    }

    // One document under the upload's source, with as many chunks as the job embedded, none of another document, no
    // document without chunks, and the upload deleted.
    private async Task AssertStoredOnceAsync(string database, Guid job, JsonElement done)
    {
        Assert.Equal("succeeded", done.GetProperty("status").GetString());
        var document = Assert.Single(done.GetProperty("documentIds").EnumerateArray()).GetGuid();
        Assert.Equal(1L, await ScalarAsync<long>(database,
            "SELECT count(*) FROM documents WHERE source = $1 AND tenant_id = (SELECT tenant_id FROM ingest_jobs WHERE id = $2)", FileName, job));
        Assert.Equal((long)done.GetProperty("chunksTotal").GetInt32(), await ScalarAsync<long>(database, "SELECT count(*) FROM chunks WHERE document_id = $1", document));
        Assert.Equal(0L, await ScalarAsync<long>(database, "SELECT count(*) FROM documents d WHERE NOT EXISTS (SELECT 1 FROM chunks c WHERE c.document_id = d.id)"));
        Assert.Equal(0L, await ScalarAsync<long>(database, "SELECT count(*) FROM ingest_job_parts WHERE job_id = $1", job));
        Assert.True(done.GetProperty("chunksTotal").GetInt32() > 100);
    }

    private async Task<(string Slug, string Database)> CreateTenantAsync(string mode)
    {
        var slug = Slugs.UniqueText("jobcrash");
        var created = await _cli.RunAsync("tenant", "create", slug, "--mode", mode, "--json");
        Assert.True(created.ExitCode == 0, created.ToString());
        return (slug, created.Json().GetProperty("database").GetString()!);
    }

    private async Task<CliProcess> StartServeAsync()
    {
        var serve = await _cli.StartAsync(ServeEnvironment, "serve", "--dev-auth", "--urls", "http://127.0.0.1:0");
        await serve.WaitForLineAsync(l => l.StartsWith("serving on ", StringComparison.Ordinal));
        return serve;
    }

    private static async Task<HttpClient> ClientAsync(CliProcess serve, string slug)
    {
        var line = await serve.WaitForLineAsync(l => l.StartsWith("serving on ", StringComparison.Ordinal));
        var http = new HttpClient { BaseAddress = new Uri(line["serving on ".Length..].Split([',', ' '], StringSplitOptions.RemoveEmptyEntries)[0]) };
        var signIn = await http.PostAsJsonAsync("/auth/dev-token", new { tenant = slug, user = "alice" }, Ct);
        var token = (await signIn.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("token").GetString();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    // Real text nobody on the team wrote, and enough of it for a job of some hundreds of chunks: the licenses every
    // Debian machine carries.
    private static async Task<Guid> UploadAsync(CliProcess serve, string slug)
    {
        using var http = await ClientAsync(serve, slug);
        var licenses = string.Join("\n\n", new[] { "GPL-3", "GPL-2", "LGPL-2.1", "Apache-2.0", "MPL-2.0", "GFDL-1.3", "Artistic" }
            .Select(name => $"# {name}\n\n" + File.ReadAllText(Path.Combine("/usr/share/common-licenses", name))));
        using var form = new MultipartFormDataContent { { new StringContent(licenses), "file", FileName } };
        var accepted = await http.PostAsync("/v1/documents", form, Ct);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        return (await accepted.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("jobId").GetGuid();
    }

    private static async Task<JsonElement> WaitForJobAsync(CliProcess serve, string slug, Guid job)
    {
        using var http = await ClientAsync(serve, slug);
        var deadline = DateTime.UtcNow.AddMinutes(5);
        while (true)
        {
            var response = await http.GetAsync($"/v1/jobs/{job}", Ct);
            if (response.IsSuccessStatusCode && await response.Content.ReadFromJsonAsync<JsonElement>(Ct) is var state
                && state.GetProperty("status").GetString() is "succeeded" or "failed")
            {
                return state;
            }

            if (DateTime.UtcNow >= deadline)
            {
                Assert.Fail($"job {job} did not finish within 5 minutes: last answer {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}\n{serve.StdOut}\n{serve.StdErr}");
            }

            await Task.Delay(200, Ct);
        }
    }

    private async Task WaitUntilEmbeddingAsync(string database, Guid job)
    {
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (await ScalarAsync<int>(database, "SELECT coalesce((SELECT chunks_done FROM ingest_jobs WHERE id = $1 AND status = 'running'), 0)", job) == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the job did not start embedding within 3 minutes");
            await Task.Delay(50, Ct);
        }
    }

    private async Task<T> ScalarAsync<T>(string database, string sql, params object[] parameters)
    {
        var builder = _endpoint.ConnectionString(_endpoint.BootstrapUsername, _endpoint.BootstrapPassword, database);
        builder.Pooling = false;
        builder.ApplicationName = "tenantrag-tests";
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var cmd = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        return (T)(await cmd.ExecuteScalarAsync(Ct))!;
    }
}
