using System.Text.Json;
using TenantRag.Testing;

namespace TenantRag.Postgres.Tests;

/// <summary>
/// The real command line against the test server. It uses the default installation prefix 'tenantrag', shared with
/// the other classes of <see cref="CommandLineCollection"/> (so never at the same time); classes that do not need the
/// default use an installation of their own (<see cref="TenantRagCli.For(PostgresServer, string)"/>) and run beside them.
/// </summary>
[Collection(CommandLineCollection)]
public sealed class TenantCommandTests(PostgresServer server) : IAsyncLifetime
{
    /// <summary>The test classes that run the command line on the installation prefix 'tenantrag', one at a time.</summary>
    public const string CommandLineCollection = "tenantrag command line";

    private readonly CliRunner _cli = TenantRagCli.For(server);

    public async ValueTask InitializeAsync() => await server.TrackPrefixAsync("tenantrag");

    [Fact]
    public async Task TenantCreate_BadSlugs_Exit2AndCreateNothing()
    {
        // The near misses of the slug format but null (a missing argument, checked separately); the hostile corpus
        // goes through the command line in HostileCommandLineTests.
        var slugs = TenantSlugTests.BadSlugTexts.OfType<string>().ToList();

        var results = new List<(string Slug, CliRun Result)>();
        foreach (var slug in slugs)
        {
            results.Add((slug, await _cli.RunAsync("tenant", "create", slug, "--mode", "dedicated")));
        }

        var list = await _cli.RunAsync("tenant", "list", "--json");

        Assert.All(results, r =>
        {
            Assert.True(r.Result.ExitCode == 2, $"slug {JsonSerializer.Serialize(r.Slug)}: {r.Result}");
            Assert.Contains("invalid tenant slug", r.Result.StdErr, StringComparison.Ordinal);
            Assert.Equal(string.Empty, r.Result.StdOut);
        });
        Assert.Equal(0, list.ExitCode);
        var listed = list.Json().GetProperty("tenants").EnumerateArray().Select(t => t.GetProperty("slug").GetString()).ToList();
        Assert.DoesNotContain(listed, s => slugs.Contains(s!));
        Assert.Equal(0L, await server.ScalarAsync<long>("postgres", "SELECT count(*) FROM pg_database WHERE datname LIKE 'tenantrag%' AND datname !~ '^[a-z0-9_]+$'"));
        Assert.Equal(0L, await server.ScalarAsync<long>("postgres", "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'tenantrag%' AND rolname !~ '^[a-z0-9_]+$'"));
    }

    [Fact]
    public async Task TenantCreate_UppercaseSlug_Exit2BeforeTouchingDatabase()
    {
        // Only this class uses the 'tenantrag' prefix, so nothing else adds such databases meanwhile.
        const string installationDatabases = "SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_database WHERE datname LIKE 'tenantrag\\_%'";
        var before = await server.ScalarAsync<string?>("postgres", installationDatabases);

        var result = await _cli.RunAsync("tenant", "create", "Bad_Slug", "--mode", "shared");

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("error: invalid tenant slug 'Bad_Slug'", result.StdErr, StringComparison.Ordinal);
        Assert.Equal(before, await server.ScalarAsync<string?>("postgres", installationDatabases));
    }

    [Fact]
    public async Task TenantCreate_MissingSlugOrBadMode_Exit2()
    {
        var slug = Slugs.UniqueText("mode");

        var missing = await _cli.RunAsync("tenant", "create");
        var badMode = await _cli.RunAsync("tenant", "create", slug, "--mode", "pooled");
        var show = await _cli.RunAsync("tenant", "show", slug);

        Assert.Equal(2, missing.ExitCode);
        Assert.Equal(2, badMode.ExitCode);
        Assert.Contains("unknown mode 'pooled'", badMode.StdErr, StringComparison.Ordinal);
        Assert.Equal(1, show.ExitCode);
    }

    [Fact]
    public async Task TenantCreate_Duplicate_Exit1AndKeepsOriginal()
    {
        var slug = Slugs.UniqueText("dup");
        var first = await _cli.RunAsync("tenant", "create", slug, "--mode", "shared", "--json");

        var second = await _cli.RunAsync("tenant", "create", slug, "--mode", "dedicated", "--json");
        var show = await _cli.RunAsync("tenant", "show", slug, "--json");

        Assert.Equal(0, first.ExitCode);
        Assert.Equal(1, second.ExitCode);
        Assert.Contains($"tenant '{slug}' already exists", second.StdErr, StringComparison.Ordinal);
        Assert.Equal(string.Empty, second.StdOut);
        Assert.Equal(0, show.ExitCode);
        Assert.Equal("shared", show.Json().GetProperty("mode").GetString());
        Assert.Equal(first.Json().GetProperty("createdAt").GetDateTimeOffset(), show.Json().GetProperty("createdAt").GetDateTimeOffset());
        Assert.False(await server.DatabaseExistsAsync("tenantrag_t_" + slug.Replace('-', '_')));
    }

    [Fact]
    public async Task TenantShowAndDelete_UnknownTenant_Exit1()
    {
        var slug = Slugs.UniqueText("ghost");

        var show = await _cli.RunAsync("tenant", "show", slug);
        var delete = await _cli.RunAsync("tenant", "delete", slug, "--yes", "--json");

        Assert.Equal(1, show.ExitCode);
        Assert.Contains($"tenant '{slug}' does not exist", show.StdErr, StringComparison.Ordinal);
        Assert.Equal(1, delete.ExitCode);
        Assert.Contains($"tenant '{slug}' does not exist", delete.StdErr, StringComparison.Ordinal);
        Assert.Equal(string.Empty, delete.StdOut);
    }

    [Fact]
    public async Task TenantShow_DedicatedTenant_PrintsCatalogFields()
    {
        var slug = Slugs.UniqueText("show");
        var database = "tenantrag_t_" + slug.Replace('-', '_');
        var created = await _cli.RunAsync("tenant", "create", slug, "--mode", "dedicated", "--json");

        var show = await _cli.RunAsync("tenant", "show", slug, "--json");
        var text = await _cli.RunAsync("tenant", "show", slug);

        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.Equal(0, show.ExitCode);
        var json = show.Json();
        Assert.Equal(slug, json.GetProperty("slug").GetString());
        Assert.Equal("dedicated", json.GetProperty("mode").GetString());
        Assert.Equal(database, json.GetProperty("database").GetString());
        Assert.Equal("primary", json.GetProperty("server").GetString());
        Assert.Equal("active", json.GetProperty("status").GetString());
        Assert.InRange(json.GetProperty("createdAt").GetDateTimeOffset(), DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.Equal(JsonValueKind.Null, json.GetProperty("lastActiveAt").ValueKind);
        Assert.Equal(0, text.ExitCode);
        Assert.Contains($"database:    {database}", text.StdOut, StringComparison.Ordinal);
        Assert.Contains("last active: never", text.StdOut, StringComparison.Ordinal);
        Assert.True(await server.DatabaseExistsAsync(database));
    }

    [Fact]
    public async Task TenantDelete_DedicatedTenant_DropsDatabaseAndRoleAndSaysSo()
    {
        var slug = Slugs.UniqueText("gone");
        var database = "tenantrag_t_" + slug.Replace('-', '_');
        Assert.Equal(0, (await _cli.RunAsync("tenant", "create", slug, "--mode", "dedicated")).ExitCode);

        var delete = await _cli.RunAsync("tenant", "delete", slug, "--yes", "--json");
        var list = await _cli.RunAsync("tenant", "list", "--json");

        Assert.True(delete.ExitCode == 0, delete.ToString());
        var json = delete.Json();
        Assert.Equal(slug, json.GetProperty("deleted").GetProperty("slug").GetString());
        Assert.Equal(0, json.GetProperty("documents").GetInt64());
        Assert.Equal(0, json.GetProperty("chunks").GetInt64());
        Assert.Equal(database, json.GetProperty("droppedDatabase").GetString());
        Assert.Equal(database, json.GetProperty("droppedRole").GetString());
        Assert.False(await server.DatabaseExistsAsync(database));
        Assert.False(await server.RoleExistsAsync(database));
        Assert.DoesNotContain(list.Json().GetProperty("tenants").EnumerateArray(), t => t.GetProperty("slug").GetString() == slug);
    }

    public ValueTask DisposeAsync()
    {
        _cli.Dispose();
        return ValueTask.CompletedTask;
    }
}
