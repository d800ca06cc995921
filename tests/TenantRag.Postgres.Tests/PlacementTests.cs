using System.Globalization;
using System.Text.Json;
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
        await fleet.IngestAsync(onPrimary.Slug, "walrus.md", "# Walrus ledger\n\nThe walrus ledger lists every tusk.\n");
        await fleet.IngestAsync(onSecond.Slug, "okapi.md", "# Okapi ledger\n\nThe okapi ledger lists every stripe.\n");

        var list = (await fleet.RunAsync(0, "tenant", "list", "--json")).Json().GetProperty("tenants").EnumerateArray()
            .ToDictionary(t => t.GetProperty("slug").GetString()!, t => t.GetProperty("server").GetString());
        var secondSearch = await fleet.RunAsync(0, "search", onSecond.Slug, "ledger walrus okapi", "--user", "alice");
        var primarySearch = await fleet.RunAsync(0, "search", onPrimary.Slug, "ledger walrus okapi", "--user", "alice");
        var secondDocuments = await fleet.RunAsync(0, "documents", "list", onSecond.Slug, "--user", "alice", "--json");

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

        var deleted = await fleet.RunAsync(0, "tenant", "delete", onSecond.Slug, "--yes", "--json");
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
        Assert.Contains("Walrus", (await fleet.RunAsync(0, "search", onPrimary.Slug, "walrus ledger", "--user", "alice")).StdOut, StringComparison.Ordinal);
        await fleet.RunAsync(0, "tenant", "delete", onPrimary.Slug, "--yes");
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
            var full = await fleet.RunAsync(1, "tenant", "create", Slugs.UniqueText("place"), "--mode", "shared");
            Assert.Contains("every active server is full", full.StdErr, StringComparison.Ordinal);
            var explicitFull = await fleet.RunAsync(1, "tenant", "create", Slugs.UniqueText("place"), "--mode", "dedicated", "--server", "second");
            Assert.Contains("server 'second' is full", explicitFull.StdErr, StringComparison.Ordinal);
            Assert.Equal(before, await TenantCountAsync());
        }
        finally
        {
            await RestoreCapacitiesAsync();
        }
    }

    [Fact]
    public async Task SetCapacity_PrimaryBelowItsTenants_CreatePlacesOnSecondAndAFullFleetRefusesChangingNothing()
    {
        await fleet.EnsureSecondAddedAsync();
        await CreateAsync("shared", "primary");
        await CreateAsync("dedicated", "primary");
        try
        {
            // Until now the primary had no capacity, so placement always found room there.
            var set = await fleet.RunAsync(0, "server", "set", "primary", "--capacity", "1");
            var listed = Servers(await fleet.RunAsync(0, "server", "list", "--json"));
            var text = await fleet.RunAsync(0, "server", "list");
            var shared = await CreateAsync("shared", server: null);
            var dedicated = await CreateAsync("dedicated", server: null);

            Assert.Contains("server 'primary': capacity 1 (it holds ", set.StdOut, StringComparison.Ordinal);
            Assert.Contains("full, so new tenants go to other servers", set.StdOut, StringComparison.Ordinal);
            Assert.Equal(1, listed["primary"].GetProperty("capacity").GetInt32());
            Assert.Matches(@"(?m)^primary .*\(capacity 1\)", text.StdOut);
            Assert.Equal("second", shared.Server);
            Assert.Equal("second", dedicated.Server);
            Assert.Equal(1L, await DatabasesNamedAsync(fleet.SecondUrl, dedicated.Database));

            // The second full as well: refused, and nothing is made anywhere.
            var onSecond = await TenantsOnAsync("second");
            await fleet.RunAsync(0, "server", "set", "second", "--capacity", onSecond.ToString(CultureInfo.InvariantCulture));
            var before = await TenantCountAsync();
            var slug = Slugs.UniqueText("place");
            var full = await fleet.RunAsync(1, "tenant", "create", slug, "--mode", "dedicated");
            var fullJson = await fleet.RunAsync(1, "tenant", "create", slug, "--mode", "shared", "--json");

            Assert.Equal("error: every active server is full (its capacity reached): add a server ('tenantrag server add'), raise a capacity ('tenantrag server set <name> --capacity'), or choose one with --server; nothing changed",
                full.StdErr.Trim());
            Assert.Contains("every active server is full", fullJson.StdErr, StringComparison.Ordinal);
            Assert.Equal(before, await TenantCountAsync());
            var database = new TenantRag.Postgres.Installation.InstallationNames("tenantrag").DedicatedDatabase(TenantRag.Tenancy.TenantSlug.Parse(slug));
            Assert.Equal(0L, await DatabasesNamedAsync(fleet.SecondUrl, database));
            Assert.Equal(0L, await DatabasesNamedAsync(fleet.MainUrl, database));

            // none: no limit again, and the primary takes tenants again (it is unlimited, so it comes first).
            var unlimited = await fleet.RunAsync(0, "server", "set", "primary", "--capacity", "none", "--json");
            Assert.Equal(JsonValueKind.Null, unlimited.Json().GetProperty("capacity").ValueKind);
            Assert.Equal("primary", (await CreateAsync("shared", server: null)).Server);
        }
        finally
        {
            await RestoreCapacitiesAsync();
        }
    }

    [Theory]
    [InlineData("primary", "--capacity", "0")]
    [InlineData("primary", "--capacity", "-3")]
    [InlineData("second", "--capacity", "abc")]
    [InlineData("second", "--capacity", "1.5")]
    [InlineData("second", "--capacity", "99999999999")]
    [InlineData("second", "--capacity", "")]
    [InlineData("second", null, null)]
    [InlineData("Bad_Name", "--capacity", "3")]
    [InlineData("primary", "--pooler-url", "postgres://127.0.0.1:6432/tenantrag_shared")]
    public async Task Set_BadInput_IsUsageErrorAndChangesNothing(string name, string? option, string? value)
    {
        await fleet.EnsureSecondAddedAsync();
        var before = await ServersRowsAsync();

        var run = await fleet.RunAsync(2, option is null ? ["server", "set", name] : ["server", "set", name, option, value!]);

        Assert.StartsWith("error: ", run.StdErr, StringComparison.Ordinal);
        Assert.Single(run.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(before, await ServersRowsAsync());
    }

    [Fact]
    public async Task Set_UnknownOrRemovedServer_IsRefusedAndChangesNothing()
    {
        await fleet.EnsureSecondAddedAsync();
        var before = await ServersRowsAsync();

        var unknown = await fleet.RunAsync(1, "server", "set", "nowhere", "--capacity", "3");

        Assert.Equal("error: there is no server 'nowhere' in the fleet: 'tenantrag server list' shows them; nothing changed", unknown.StdErr.Trim());
        Assert.Equal(before, await ServersRowsAsync());
    }

    [Fact]
    public async Task Create_WithUnknownOrInvalidServer_IsRefusedAndChangesNothing()
    {
        await fleet.EnsureSecondAddedAsync();
        var slug = Slugs.UniqueText("place");

        var unknown = await fleet.RunAsync(1, "tenant", "create", slug, "--mode", "dedicated", "--server", "nowhere");
        var invalid = await fleet.RunAsync(2, "tenant", "create", slug, "--mode", "shared", "--server", "Bad_Name");

        Assert.Contains("no server 'nowhere'", unknown.StdErr, StringComparison.Ordinal);
        Assert.Contains("invalid server name", invalid.StdErr, StringComparison.Ordinal);
        Assert.Equal(0L, await fleet.ScalarAsync<long>(fleet.MainUrl, "SELECT count(*) FROM tenantrag.tenants WHERE slug = $1", Catalog, slug));
        Assert.Equal(0L, await fleet.ScalarAsync<long>(fleet.SecondUrl, "SELECT count(*) FROM pg_database WHERE datname = $1", "postgres",
            new TenantRag.Postgres.Installation.InstallationNames("tenantrag").DedicatedDatabase(TenantRag.Tenancy.TenantSlug.Parse(slug))));
    }

    // Capacities leaving that many free places, set with 'server set' (each server holds a tenant already).
    private async Task SetCapacitiesAsync(int primaryFree, int secondFree)
    {
        foreach (var (server, free) in new[] { ("primary", primaryFree), ("second", secondFree) })
        {
            var capacity = await TenantsOnAsync(server) + free;
            await fleet.RunAsync(0, "server", "set", server, "--capacity", capacity.ToString(CultureInfo.InvariantCulture));
        }
    }

    // Back to the class's usual fleet: the primary unlimited, the second with room for 25.
    private async Task RestoreCapacitiesAsync()
    {
        await fleet.RunAsync(0, "server", "set", "primary", "--capacity", "none");
        await fleet.RunAsync(0, "server", "set", "second", "--capacity", "25");
    }

    private static Dictionary<string, JsonElement> Servers(CliRun list) =>
        list.Json().EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!);

    // Tenants the catalog maps to a server, in any state (what placement counts).
    private Task<long> TenantsOnAsync(string server) =>
        fleet.ScalarAsync<long>(fleet.MainUrl, "SELECT count(*) FROM tenantrag.tenants WHERE server_id = $1", Catalog, server);

    private Task<string> ServersRowsAsync() => fleet.ScalarAsync<string>(fleet.MainUrl,
        "SELECT string_agg(row_to_json(s)::text, ',' ORDER BY id) FROM tenantrag.servers s", Catalog);

    private Task<long> DatabasesNamedAsync(string url, string database) =>
        fleet.ScalarAsync<long>(url, "SELECT count(*) FROM pg_database WHERE datname = $1", "postgres", database);

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
        await fleet.RunAsync(0, args);
        var show = (await fleet.RunAsync(0, "tenant", "show", slug, "--json")).Json();
        return new Tenant(slug, mode, show.GetProperty("id").GetString()!, show.GetProperty("database").GetString()!, show.GetProperty("server").GetString()!);
    }

    private sealed record Tenant(string Slug, string Mode, string Id, string Database, string Server);
}
