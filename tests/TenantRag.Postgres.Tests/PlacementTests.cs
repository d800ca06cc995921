using TenantRag.Testing;

namespace TenantRag.Postgres.Tests;

/// <summary>
/// <c>tenant create --server</c> and placement by free capacity (issue 14 item 2), through the real command line over
/// two real clusters (<see cref="ServerCommandTests.Fleet"/>): a tenant's sessions, ingestion, search, documents and
/// deletion go to the server its catalog row names, and nowhere else.
/// </summary>
public sealed class PlacementTests(ServerCommandTests.Fleet fleet) : IClassFixture<ServerCommandTests.Fleet>
{
    private const string Catalog = "tenantrag_catalog";
    private const string Shared = "tenantrag_shared";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("shared")]
    [InlineData("dedicated")]
    public async Task Create_OnSecondServer_ServesFromThereOnlyAndDeleteRemovesItThere(string mode)
    {
        await fleet.EnsureSecondAddedAsync();
        var onPrimary = await CreateAsync(mode, "primary");
        var onSecond = await CreateAsync(mode, "second");
        await IngestAsync(onPrimary.Slug, "walrus.md", "# Walrus ledger\n\nThe walrus ledger lists every tusk.\n");
        await IngestAsync(onSecond.Slug, "okapi.md", "# Okapi ledger\n\nThe okapi ledger lists every stripe.\n");

        var list = (await RunAsync(0, "tenant", "list", "--json")).Json().GetProperty("tenants").EnumerateArray()
            .ToDictionary(t => t.GetProperty("slug").GetString()!, t => t.GetProperty("server").GetString());
        var secondSearch = await RunAsync(0, "search", onSecond.Slug, "ledger walrus okapi", "--user", "alice");
        var primarySearch = await RunAsync(0, "search", onPrimary.Slug, "ledger walrus okapi", "--user", "alice");
        var secondDocuments = await RunAsync(0, "documents", "list", onSecond.Slug, "--user", "alice", "--json");

        Assert.Equal("second", list[onSecond.Slug]);
        Assert.Equal("primary", list[onPrimary.Slug]);
        Assert.Contains("Okapi", secondSearch.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain("Walrus", secondSearch.StdOut, StringComparison.Ordinal);
        Assert.Contains("Walrus", primarySearch.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain("Okapi", primarySearch.StdOut, StringComparison.Ordinal);
        Assert.Equal(["okapi.md"], secondDocuments.Json().GetProperty("documents").EnumerateArray().Select(d => d.GetProperty("fileName").GetString()));

        // The rows are in the second server's database, and the primary holds none of them (and vice versa).
        Assert.Equal(1L, await DocumentsAsync(fleet.SecondUrl, onSecond));
        Assert.Equal(0L, await DocumentsAsync(fleet.MainUrl, onSecond));
        Assert.Equal(1L, await DocumentsAsync(fleet.MainUrl, onPrimary));
        Assert.Equal(0L, await DocumentsAsync(fleet.SecondUrl, onPrimary));

        if (mode == "dedicated")
        {
            Assert.Equal(1L, await fleet.ScalarAsync<long>(fleet.SecondUrl, "SELECT count(*) FROM pg_roles WHERE rolname = $1", "postgres", onSecond.Database));
            Assert.Equal(0L, await fleet.ScalarAsync<long>(fleet.MainUrl, "SELECT count(*) FROM pg_database WHERE datname = $1", "postgres", onSecond.Database));
        }

        var deleted = await RunAsync(0, "tenant", "delete", onSecond.Slug, "--yes", "--json");
        Assert.Equal(1, deleted.Json().GetProperty("documents").GetInt64());
        Assert.Equal(0L, await DocumentsAsync(fleet.SecondUrl, onSecond));
        Assert.Equal(0L, await fleet.ScalarAsync<long>(fleet.MainUrl, "SELECT count(*) FROM tenantrag.tenants WHERE slug = $1", Catalog, onSecond.Slug));
        if (mode == "dedicated")
        {
            // Its database and its login role (of the same name) were made on the second server, and are gone from it.
            Assert.Equal(0L, await fleet.ScalarAsync<long>(fleet.SecondUrl, "SELECT count(*) FROM pg_database WHERE datname = $1", "postgres", onSecond.Database));
            Assert.Equal(0L, await fleet.ScalarAsync<long>(fleet.SecondUrl, "SELECT count(*) FROM pg_roles WHERE rolname = $1", "postgres", onSecond.Database));
        }

        // The primary's tenant is untouched.
        Assert.Contains("Walrus", (await RunAsync(0, "search", onPrimary.Slug, "walrus ledger", "--user", "alice")).StdOut, StringComparison.Ordinal);
        await RunAsync(0, "tenant", "delete", onPrimary.Slug, "--yes");
    }

    [Fact]
    public async Task Create_WithoutServer_PicksTheActiveServerWithTheMostFreeCapacity()
    {
        await fleet.EnsureSecondAddedAsync();
        try
        {
            // A server without a capacity is unlimited: the primary (no capacity) is chosen.
            Assert.Equal("primary", (await CreateAsync("shared", server: null)).Server);

            // The primary with 1 free place, the second with 3: the second.
            await SetCapacitiesAsync(primaryFree: 1, secondFree: 3);
            Assert.Equal("second", (await CreateAsync("dedicated", server: null)).Server);

            // 1 and 1 (the second filled by one): a tie goes to the primary.
            await SetCapacitiesAsync(primaryFree: 1, secondFree: 1);
            Assert.Equal("primary", (await CreateAsync("shared", server: null)).Server);

            // Both full: refused, and so is an explicit full server; nothing is created.
            await SetCapacitiesAsync(primaryFree: 0, secondFree: 0);
            var before = await TenantCountAsync();
            var full = await RunAsync(1, "tenant", "create", Slugs.UniqueText("place"), "--mode", "shared");
            Assert.Contains("every active server is full", full.StdErr, StringComparison.Ordinal);
            var explicitFull = await RunAsync(1, "tenant", "create", Slugs.UniqueText("place"), "--mode", "dedicated", "--server", "second");
            Assert.Contains("server 'second' is full", explicitFull.StdErr, StringComparison.Ordinal);
            Assert.Equal(before, await TenantCountAsync());
        }
        finally
        {
            await fleet.ExecuteAsync(fleet.MainUrl, Catalog, "UPDATE tenantrag.servers SET capacity = CASE id WHEN 'second' THEN 25 END");
        }
    }

    [Fact]
    public async Task Create_WithUnknownOrInvalidServer_IsRefusedAndChangesNothing()
    {
        await fleet.EnsureSecondAddedAsync();
        var slug = Slugs.UniqueText("place");

        var unknown = await RunAsync(1, "tenant", "create", slug, "--mode", "dedicated", "--server", "nowhere");
        var invalid = await RunAsync(2, "tenant", "create", slug, "--mode", "shared", "--server", "Bad_Name");

        Assert.Contains("no server 'nowhere'", unknown.StdErr, StringComparison.Ordinal);
        Assert.Contains("invalid server name", invalid.StdErr, StringComparison.Ordinal);
        Assert.Equal(0L, await fleet.ScalarAsync<long>(fleet.MainUrl, "SELECT count(*) FROM tenantrag.tenants WHERE slug = $1", Catalog, slug));
        Assert.Equal(0L, await fleet.ScalarAsync<long>(fleet.SecondUrl, "SELECT count(*) FROM pg_database WHERE datname = $1", "postgres",
            new TenantRag.Postgres.Installation.InstallationNames("tenantrag").DedicatedDatabase(TenantRag.Tenancy.TenantSlug.Parse(slug))));
    }

    // Capacities (set in the catalog: no command changes one after 'server add' yet) leaving that many free places.
    private async Task SetCapacitiesAsync(int primaryFree, int secondFree) =>
        await fleet.ExecuteAsync(fleet.MainUrl, Catalog, $"""
            UPDATE tenantrag.servers s SET capacity = (SELECT count(*) FROM tenantrag.tenants t WHERE t.server_id = s.id)
                + CASE s.id WHEN 'primary' THEN {primaryFree} ELSE {secondFree} END
            WHERE s.id IN ('primary', 'second')
            """);

    private Task<long> TenantCountAsync() => fleet.ScalarAsync<long>(fleet.MainUrl, "SELECT count(*) FROM tenantrag.tenants", Catalog);

    // The tenant's documents in its database on the server at `url` (0 when that server has no such database).
    private async Task<long> DocumentsAsync(string url, Tenant tenant)
    {
        var database = tenant.Mode == "dedicated" ? tenant.Database : Shared;
        return await fleet.ScalarAsync<long>(url, "SELECT count(*) FROM pg_database WHERE datname = $1", "postgres", database) == 0
            ? 0
            : await fleet.ScalarAsync<long>(url, "SELECT count(*) FROM public.documents WHERE tenant_id = $1", database, tenant.Id);
    }

    private async Task<Tenant> CreateAsync(string mode, string? server)
    {
        var slug = Slugs.UniqueText("place");
        string[] args = server is null ? ["tenant", "create", slug, "--mode", mode] : ["tenant", "create", slug, "--mode", mode, "--server", server];
        await RunAsync(0, args);
        var show = (await RunAsync(0, "tenant", "show", slug, "--json")).Json();
        return new Tenant(slug, mode, show.GetProperty("id").GetString()!, show.GetProperty("database").GetString()!, show.GetProperty("server").GetString()!);
    }

    private async Task IngestAsync(string slug, string name, string text)
    {
        var directory = Directory.CreateTempSubdirectory("tenantrag-placement-");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(directory.FullName, name), text, Ct);
            await RunAsync(0, "ingest", slug, directory.FullName, "--user", "alice", "--visibility", "tenant");
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private async Task<CliRun> RunAsync(int exitCode, params string[] args)
    {
        var run = await fleet.Cli.RunAsync(args);
        Assert.True(run.ExitCode == exitCode, $"tenantrag {string.Join(' ', args)}: {run}");
        fleet.AssertNoPassword(run);
        return run;
    }

    private sealed record Tenant(string Slug, string Mode, string Id, string Database, string Server);
}
