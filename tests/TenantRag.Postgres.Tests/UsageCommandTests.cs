using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TenantRag.Postgres.Installation;
using TenantRag.Testing;

namespace TenantRag.Postgres.Tests;

/// <summary>
/// <c>tenantrag usage</c>, and metering through a real <c>tenantrag serve</c> process killed outright (SIGKILL) while it
/// answers searches and questions and stores uploads: every answer a client got is counted exactly once, nothing is
/// counted that was not sent, and what the tenant stores is exactly what its counted changes add up to. On an
/// installation of its own, beside the other command-line tests.
/// </summary>
public sealed class UsageCommandTests(PostgresServer server) : IDisposable
{
    // An installation of its own, so that this class runs beside the other command-line tests.
    private const string Prefix = "trcli_usage";

    private static readonly InstallationNames Names = new(Prefix);

    private readonly CliRunner _cli = TenantRagCli.For(server, Prefix);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _cli.Dispose();

    [Theory]
    [InlineData("shared")]
    [InlineData("dedicated")]
    public async Task Serve_KilledWhileAnsweringAndIngesting_CountsEveryAcknowledgedQueryOnceAndEveryStoredDocument(string mode)
    {
        var slug = Slugs.UniqueText("kill");
        var created = await _cli.RunAsync("tenant", "create", slug, "--mode", mode);
        Assert.True(created.ExitCode == 0, created.ToString());
        var serve = await _cli.StartAsync(new Dictionary<string, string>
        {
            ["TenantRag__Limits__RequestsPerSecond"] = "10000",
            ["TenantRag__Limits__Burst"] = "10000",
            ["TenantRag__Jobs__PollMilliseconds"] = "100",
        }, "serve", "--dev-auth", "--urls", "http://127.0.0.1:0");
        long sent = 0, answered = 0, accepted = 0;
        await using (serve)
        {
            using var http = await FleetMoves.SignInAsync(serve, slug, "alice");
            var seed = await http.SendAsync(FleetMoves.Upload("Walrus ledger", "The walrus ledger lists every tusk of the colony.", wait: true), Ct);
            Assert.Equal(HttpStatusCode.Created, seed.StatusCode);

            using var stop = new CancellationTokenSource();
            async Task QueryAsync(string path, object body)
            {
                while (!stop.IsCancellationRequested)
                {
                    Interlocked.Increment(ref sent);
                    try
                    {
                        var answer = await http.PostAsJsonAsync(path, body, Ct);
                        var text = await answer.Content.ReadAsStringAsync(Ct);
                        Assert.True(answer.StatusCode == HttpStatusCode.OK, $"{path}: {(int)answer.StatusCode} {text}");
                        Interlocked.Increment(ref answered);
                    }
                    catch (HttpRequestException)
                    {
                        return; // killed: this request may or may not have been counted, but nobody was told it was answered
                    }
                }
            }

            async Task UploadAsync()
            {
                for (var n = 0; !stop.IsCancellationRequested; n++)
                {
                    try
                    {
                        var answer = await http.SendAsync(FleetMoves.Upload($"Note {n}", $"Entry {n}: the walrus counts tusks on the ice floe number {n}.", wait: false), Ct);
                        if (answer.StatusCode == HttpStatusCode.Accepted)
                        {
                            Interlocked.Increment(ref accepted);
                        }
                    }
                    catch (HttpRequestException)
                    {
                        return;
                    }
                }
            }

            var load = new[]
            {
                QueryAsync("/v1/search", new { query = "walrus ledger tusk", k = 5 }),
                QueryAsync("/v1/search", new { query = "ice floe", k = 3 }),
                QueryAsync("/v1/ask", new { question = "What does the walrus ledger list?", k = 3 }),
                UploadAsync(),
            };

            // Killed mid-stream: queries in flight and upload jobs being stored.
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while ((Interlocked.Read(ref answered) < 60 || Interlocked.Read(ref accepted) < 10) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50, Ct);
            }

            await serve.KillAsync();
            await stop.CancelAsync();
            await Task.WhenAll(load);
        }

        var usage = await _cli.RunAsync("usage", slug, "--json");
        Assert.True(usage.ExitCode == 0, usage.ToString());
        var days = usage.Json().GetProperty("tenants")[0].GetProperty("days").EnumerateArray().ToList();
        var counted = days.Sum(d => d.GetProperty("queries").GetInt64());
        var countedStored = days.Count == 0 ? "0 0 0" : $"{days[^1].GetProperty("documents")} {days[^1].GetProperty("chunks")} {days[^1].GetProperty("bytes")}";
        var database = await server.ScalarAsync<string>(Names.Catalog, "SELECT database_name FROM tenantrag.tenants WHERE slug = $1", slug);
        var id = await server.ScalarAsync<string>(Names.Catalog, "SELECT id FROM tenantrag.tenants WHERE slug = $1", slug);
        var stored = await server.ScalarAsync<string>(database, """
            SELECT (SELECT count(*) FROM documents WHERE tenant_id = $1) || ' ' || (SELECT count(*) FROM chunks WHERE tenant_id = $1)
                || ' ' || (SELECT coalesce(sum(byte_size), 0) FROM documents WHERE tenant_id = $1)
            """, id);

        Assert.True(answered >= 60, $"only {answered} answers before the deadline");
        Assert.InRange(counted, answered, sent);
        Assert.Equal(stored, countedStored);
        Assert.True(long.Parse(stored.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) >= 1, stored);
        var deleted = await _cli.RunAsync("tenant", "delete", slug, "--yes");
        Assert.True(deleted.ExitCode == 0, deleted.ToString());
    }

    [Fact]
    public async Task Usage_OfATenant_ShowsItsDaysAndEveryTenantWithoutOne()
    {
        var slug = Slugs.UniqueText("use");
        Assert.Equal(0, (await _cli.RunAsync("tenant", "create", slug)).ExitCode);
        var file = Path.Combine(Path.GetTempPath(), $"{slug}.md");
        await File.WriteAllTextAsync(file, "# Otter ledger\n\nThe otter ledger lists every whisker.\n", Ct);
        var ingest = await _cli.RunAsync("ingest", slug, file, "--user", "alice");
        File.Delete(file);
        // The operator's own queries of the tenant are metered too (and draw on its quota), as the API's are.
        var search = await _cli.RunAsync("search", slug, "otter ledger", "--user", "alice");
        var ask = await _cli.RunAsync("ask", slug, "What does the otter ledger list?", "--user", "alice");

        var one = await _cli.RunAsync("usage", slug);
        var json = await _cli.RunAsync("usage", slug, "--json", "--since", DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        var all = await _cli.RunAsync("usage", "--json");
        var later = await _cli.RunAsync("usage", slug, "--since", "2999-01-01");

        Assert.True(ingest.ExitCode == 0, ingest.ToString());
        Assert.True(search.ExitCode == 0 && ask.ExitCode == 0, search.ToString() + ask);
        Assert.True(one.ExitCode == 0, one.ToString());
        Assert.Contains(slug, one.StdOut, StringComparison.Ordinal);
        Assert.Contains("1 (+1)", one.StdOut, StringComparison.Ordinal);
        var day = Assert.Single(Assert.Single(json.Json().GetProperty("tenants").EnumerateArray()).GetProperty("days").EnumerateArray());
        Assert.Equal((1L, 1L, 2L), (day.GetProperty("documents").GetInt64(), day.GetProperty("documentsChange").GetInt64(), day.GetProperty("queries").GetInt64()));
        Assert.True(day.GetProperty("embeddingTokens").GetInt64() > 0, day.ToString());
        Assert.Contains(all.Json().GetProperty("tenants").EnumerateArray(), t => t.GetProperty("tenant").GetString() == slug);
        Assert.Contains($"nothing metered for tenant {slug} since 2999-01-01", later.StdOut, StringComparison.Ordinal);
        Assert.Equal(0, (await _cli.RunAsync("tenant", "delete", slug, "--yes")).ExitCode);
    }

    [Theory]
    [InlineData(new[] { "usage", "--since", "2026-02-30" }, 2, "--since must be a day written yyyy-mm-dd")]
    [InlineData(new[] { "usage", "--since", "yesterday" }, 2, "--since must be a day written yyyy-mm-dd")]
    [InlineData(new[] { "usage", "--since", "2026-1-5" }, 2, "--since must be a day written yyyy-mm-dd")]
    [InlineData(new[] { "usage", "no-such-tenant" }, 1, "no-such-tenant")]
    [InlineData(new[] { "usage", "Bad Slug!" }, 2, "Bad Slug!")]
    public async Task Usage_BadInput_RefusedWithOneLine(string[] args, int exit, string says)
    {
        var run = await _cli.RunAsync(args);

        Assert.True(run.ExitCode == exit, run.ToString());
        var line = Assert.Single(run.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.Contains(says, line, StringComparison.Ordinal);
        Assert.Equal(string.Empty, run.StdOut);
    }
}
