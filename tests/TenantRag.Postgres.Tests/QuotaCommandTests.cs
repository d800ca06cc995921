using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TenantRag.Postgres.Installation;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Postgres.Tests;

/// <summary>
/// Issue 15, item 3, on the command line: <c>tenant set</c> validates every value before it changes anything, and
/// <c>tenant show</c> and <c>--json</c> show the quotas; <c>ingest</c>, <c>search</c> and <c>ask</c> refuse work over a
/// quota with exit 1 and the words of the HTTP API; and a running <c>serve</c> sees a quota set from the command line
/// without a restart. On an installation of its own, beside the other command-line tests.
/// </summary>
public sealed class QuotaCommandTests(PostgresServer server) : IAsyncLifetime
{
    // An installation of its own, so that this class runs beside the other command-line tests.
    private const string Prefix = "trcli_quota";

    private static readonly InstallationNames Names = new(Prefix);

    private readonly CliRunner _cli = TenantRagCli.For(server, Prefix);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => await server.TrackPrefixAsync(Prefix);

    public ValueTask DisposeAsync()
    {
        _cli.Dispose();
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task TenantSet_BadValues_Exit1WithOneLineAndChangeNothing()
    {
        var slug = await CreateAsync("shared");
        Assert.Equal(0, (await _cli.RunAsync("tenant", "set", slug, "--max-bytes", "10MB", "--max-documents", "7")).ExitCode);
        string[][] bad =
        [
            ["--max-bytes", "-5"],
            ["--max-bytes", "12 parsecs"],
            ["--max-documents", "1e3"],
            ["--max-queries-per-day", "lots"],
            ["--max-concurrent-uploads", "99999999999999999999"],
            ["--max-documents", "none", "--max-bytes", "1.5GB"],
            [],
        ];

        var runs = new List<CliRun>();
        foreach (var options in bad)
        {
            runs.Add(await _cli.RunAsync(["tenant", "set", slug, .. options]));
        }

        var unknown = await _cli.RunAsync("tenant", "set", Slugs.UniqueText("ghost"), "--max-bytes", "1MB");
        var show = await _cli.RunAsync("tenant", "show", slug, "--json");

        Assert.All(runs, run =>
        {
            Assert.True(run.ExitCode == 2, run.ToString()); // bad input, as every command's (a quota reached is 1)
            var line = Assert.Single(run.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith("error: ", line, StringComparison.Ordinal);
            Assert.EndsWith("nothing was changed", line, StringComparison.Ordinal);
            Assert.Equal(string.Empty, run.StdOut);
        });
        Assert.Contains("--max-bytes '12 parsecs' is not a limit", runs[1].StdErr, StringComparison.Ordinal);
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("does not exist", unknown.StdErr, StringComparison.Ordinal);
        var quotas = show.Json().GetProperty("quotas");
        Assert.Equal(10_000_000, quotas.GetProperty("maxBytes").GetInt64());
        Assert.Equal(7, quotas.GetProperty("maxDocuments").GetInt64());
        Assert.Equal(JsonValueKind.Null, quotas.GetProperty("maxQueriesPerDay").ValueKind);
        Assert.Equal(1L, await server.ScalarAsync<long>(Names.Catalog, "SELECT count(*) FROM tenantrag.audit_log WHERE action = 'tenant.set' AND tenant = $1", slug));
        await DeleteAsync(slug);
    }

    [Fact]
    public async Task TenantSet_ShownByShowAndList()
    {
        var slug = await CreateAsync("dedicated");

        var set = await _cli.RunAsync("tenant", "set", slug, "--max-bytes", "1GiB", "--max-queries-per-day", "1000");
        var cleared = await _cli.RunAsync("tenant", "set", slug, "--max-queries-per-day", "none", "--max-concurrent-uploads", "2", "--json");
        var show = await _cli.RunAsync("tenant", "show", slug);
        var list = await _cli.RunAsync("tenant", "list", "--json");

        Assert.True(set.ExitCode == 0, set.ToString());
        Assert.Contains("max-queries-per-day:     1,000 queries", set.StdOut, StringComparison.Ordinal);
        Assert.Equal(2, cleared.Json().GetProperty("quotas").GetProperty("maxConcurrentUploads").GetInt64());
        Assert.Contains("max-bytes:               1,073,741,824 bytes (1 GiB)", show.StdOut, StringComparison.Ordinal);
        Assert.Contains("max-queries-per-day:     none", show.StdOut, StringComparison.Ordinal);
        Assert.Contains("max-documents:           none", show.StdOut, StringComparison.Ordinal);
        var listed = list.Json().GetProperty("tenants").EnumerateArray().Single(t => t.GetProperty("slug").GetString() == slug);
        Assert.Equal(1_073_741_824, listed.GetProperty("quotas").GetProperty("maxBytes").GetInt64());
        await DeleteAsync(slug);
    }

    [Theory]
    [InlineData("shared")]
    [InlineData("dedicated")]
    public async Task Ingest_OverByteQuota_Exit1WithTheQuotaAndNothingStored(string mode)
    {
        var slug = await CreateAsync(mode);
        Assert.Equal(0, (await _cli.RunAsync("tenant", "set", slug, "--max-bytes", "50")).ExitCode);
        var directory = Directory.CreateTempSubdirectory("quota-ingest-");
        var file = Path.Combine(directory.FullName, "handbook.md");
        await File.WriteAllTextAsync(file, "# Handbook\n\nEvery employee gets 25 vacation days a year, and unused days carry over.\n", Ct);

        var ingest = await _cli.RunAsync("ingest", slug, file);

        Assert.True(ingest.ExitCode == 1, ingest.ToString());
        Assert.Contains($"error: tenant '{slug}' is over its quota max-bytes of 50 bytes: it stores 0 bytes and this upload adds", ingest.StdErr, StringComparison.Ordinal);
        Assert.Equal(0L, await CountAsync(slug, mode, "documents"));
        Assert.Equal(0L, await CountAsync(slug, mode, "chunks"));
        await DeleteAsync(slug);
        directory.Delete(recursive: true);
    }

    [Fact]
    public async Task SearchAndAsk_OverQueriesPerDay_Exit1WithWhenItResets()
    {
        var slug = await CreateAsync("shared");
        Assert.Equal(0, (await _cli.RunAsync("tenant", "set", slug, "--max-queries-per-day", "2")).ExitCode);
        var id = await server.ScalarAsync<string>(Names.Catalog, "SELECT id FROM tenantrag.tenants WHERE slug = $1", slug);
        await server.ExecuteAsync(Names.Shared, "INSERT INTO usage_events (tenant_id, queries) VALUES ($1, 2)", id);

        var search = await _cli.RunAsync("search", slug, "vacation days");
        var ask = await _cli.RunAsync("ask", slug, "How many vacation days?", "--json");

        var midnight = DateTime.UtcNow.Date.AddDays(1).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(search.ExitCode == 1, search.ToString());
        Assert.Equal($"error: tenant '{slug}' used its quota max-queries-per-day of 2 queries: 2 queries today (UTC); it resets at {midnight} (the next UTC midnight)",
            search.StdErr.Trim());
        Assert.Equal(1, ask.ExitCode);
        Assert.Equal(1, JsonDocument.Parse(ask.StdErr.Trim().Split('\n')[^1]).RootElement.GetProperty("exitCode").GetInt32());
        Assert.Contains("max-queries-per-day", ask.StdErr, StringComparison.Ordinal);
        await DeleteAsync(slug);
    }

    [Fact]
    public async Task Serve_QuotaSetFromTheCommandLine_SeenWithoutRestart()
    {
        var slug = await CreateAsync("shared");
        var environment = new Dictionary<string, string> { ["TenantRag__Database__CatalogCacheTtl"] = "00:10:00" };
        await using var serve = await _cli.StartAsync(environment, "serve", "--dev-auth", "--urls", "http://127.0.0.1:0");
        var line = await serve.WaitForLineAsync(l => l.StartsWith("serving on ", StringComparison.Ordinal));
        using var http = new HttpClient { BaseAddress = new Uri(line["serving on ".Length..].Split([',', ' '], StringSplitOptions.RemoveEmptyEntries)[0]) };
        var token = (await _cli.RunAsync("token", "--tenant", slug, "--user", "alice")).StdOut.Trim();
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsJsonAsync("/v1/search", new { query = "parking" }, Ct)).StatusCode);

        var set = await _cli.RunAsync("tenant", "set", slug, "--max-queries-per-day", "0");
        var deadline = DateTime.UtcNow.AddSeconds(20);
        HttpResponseMessage answer;
        while ((answer = await http.PostAsJsonAsync("/v1/search", new { query = "parking" }, Ct)).StatusCode != HttpStatusCode.TooManyRequests && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100, Ct);
        }

        Assert.True(set.ExitCode == 0, set.ToString());
        Assert.Equal(HttpStatusCode.TooManyRequests, answer.StatusCode);
        Assert.Equal("max-queries-per-day", (await answer.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("quota").GetString());
        await serve.StopAsync();
        await DeleteAsync(slug);
    }

    private async Task<string> CreateAsync(string mode)
    {
        var slug = Slugs.UniqueText("quota");
        var created = await _cli.RunAsync("tenant", "create", slug, "--mode", mode);
        Assert.True(created.ExitCode == 0, created.ToString());
        return slug;
    }

    private async Task DeleteAsync(string slug) => await _cli.RunAsync("tenant", "delete", slug, "--yes");

    private Task<long> CountAsync(string slug, string mode, string table) => mode == "shared"
        ? server.ScalarAsync<long>(Names.Shared, $"SELECT count(*) FROM {table} t JOIN tenantrag.tenant_registry r ON r.id = t.tenant_id WHERE r.slug = $1", slug)
        : server.ScalarAsync<long>(Names.DedicatedDatabase(TenantSlug.Parse(slug)), $"SELECT count(*) FROM {table}");
}
