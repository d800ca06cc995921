using System.Text.Json;
using TenantRag.Postgres.Installation;
using TenantRag.Testing;

namespace TenantRag.Postgres.Tests;

/// <summary>
/// <c>tenantrag migrate</c> across the fleet (issue 14 item 2), through the real command line over two real clusters
/// (<see cref="ServerCommandTests.Fleet"/>): every server's template and shared database and every dedicated database,
/// wherever it lives, brought to the newest version and reported one by one; a database that fails is reported while
/// the others go on, and running it again continues from there. Schema versions are kept per (server, database): the
/// template and the shared database have the same name on every server.
/// </summary>
public sealed class FleetMigrateTests(ServerCommandTests.Fleet fleet) : IClassFixture<ServerCommandTests.Fleet>
{
    private const string Catalog = "tenantrag_catalog";
    private const string Template = "tenantrag_template";
    private const string Shared = "tenantrag_shared";

    private static int Newest => Installer.TenantVersion;

    [Fact]
    public async Task Migrate_DatabasesBehindOnBothServers_MigratesEachAndReportsItsVersions()
    {
        await fleet.EnsureSecondAddedAsync();
        var onPrimary = await CreateDedicatedAsync("primary");
        var onSecond = await CreateDedicatedAsync("second");
        try
        {
            // The second server's tenant database really behind: empty, as if no migration had reached it.
            await EmptyAsync(fleet.SecondUrl, onSecond);

            // The second server's template recorded behind (it is current): under a key of the name alone this row
            // would be the primary's template too.
            await fleet.ExecuteAsync(fleet.MainUrl, Catalog, $"UPDATE tenantrag.schema_versions SET version = 1 WHERE server_id = 'second' AND database_name = '{Template}'");

            var run = await RunAsync(0, "migrate", "--parallel", "2", "--json");
            var report = Report(run);
            var again = await RunAsync(0, "migrate");

            Assert.Equal(Entry("dedicated", 0, Newest, "migrated"), report[("second", onSecond)]);
            Assert.Equal(Entry("template", Newest, Newest, "current"), report[("second", Template)]);
            Assert.Equal(Entry("dedicated", Newest, Newest, "current"), report[("primary", onPrimary)]);
            foreach (var key in new[] { ("primary", Template), ("primary", Shared), ("second", Shared) })
            {
                Assert.Equal("current", report[key].Status);
            }

            Assert.Equal(1, run.Json().GetProperty("migrated").GetInt32());
            Assert.Equal(0, run.Json().GetProperty("failed").GetInt32());
            Assert.Equal(Newest, await fleet.ScalarAsync<int>(fleet.SecondUrl, "SELECT max(version) FROM tenantrag.migrations", onSecond));

            // One row per server for the same name, each at the newest version.
            var rows = await VersionRowsAsync(Template, onSecond, onPrimary);
            Assert.Equal(
                [$"primary:{onPrimary}:dedicated:{Newest}", $"primary:{Template}:template:{Newest}", $"second:{onSecond}:dedicated:{Newest}", $"second:{Template}:template:{Newest}"],
                rows);

            // The second run finds everything current: one line per database and a summary.
            Assert.Matches($@"(?m)^second\s+{onSecond}\s+dedicated\s+{Newest} -> {Newest}\s+current$", again.StdOut);
            Assert.Contains("0 migrated", again.StdOut, StringComparison.Ordinal);
            Assert.DoesNotMatch(@"(?m)\bmigrated$", again.StdOut);
        }
        finally
        {
            await DeleteAsync(onPrimary, onSecond);
        }
    }

    [Fact]
    public async Task Migrate_OneDatabaseRefusesConnections_ReportsItMigratesTheOthersAndTheRerunResumes()
    {
        await fleet.EnsureSecondAddedAsync();
        var failing = await CreateDedicatedAsync("second");
        var passing = await CreateDedicatedAsync("second");
        var recorded = await CreateDedicatedAsync("second");
        try
        {
            await EmptyAsync(fleet.SecondUrl, failing);
            await EmptyAsync(fleet.SecondUrl, passing);
            await fleet.ExecuteAsync(fleet.SecondUrl, "postgres", $"ALTER DATABASE \"{failing}\" WITH ALLOW_CONNECTIONS false");

            // Recorded at the newest version: skipped without a connection, so refusing connections changes nothing.
            await fleet.ExecuteAsync(fleet.SecondUrl, "postgres", $"ALTER DATABASE \"{recorded}\" WITH ALLOW_CONNECTIONS false");

            var first = await RunAsync(1, "migrate", "--json");
            var report = Report(first);
            var failure = first.Json().GetProperty("databases").EnumerateArray().Single(d => d.GetProperty("database").GetString() == failing);
            var unrecorded = await fleet.ScalarAsync<long>(fleet.MainUrl, "SELECT count(*) FROM tenantrag.schema_versions WHERE server_id = 'second' AND database_name = $1", Catalog, failing);
            await fleet.ExecuteAsync(fleet.SecondUrl, "postgres", $"ALTER DATABASE \"{failing}\" WITH ALLOW_CONNECTIONS true");
            var second = await RunAsync(0, "migrate");

            Assert.Equal(Entry("dedicated", null, null, "failed"), report[("second", failing)]);
            Assert.Contains("not currently accepting connections", failure.GetProperty("error").GetString(), StringComparison.Ordinal);
            Assert.Equal(Entry("dedicated", 0, Newest, "migrated"), report[("second", passing)]);
            Assert.Equal(Entry("dedicated", Newest, Newest, "current"), report[("second", recorded)]);
            Assert.Equal(1, first.Json().GetProperty("failed").GetInt32());
            Assert.Equal(0L, unrecorded);

            // Run again: the failed one is migrated now, the one migrated before is current.
            Assert.Matches($@"(?m)^second\s+{failing}\s+dedicated\s+0 -> {Newest}\s+migrated$", second.StdOut);
            Assert.Matches($@"(?m)^second\s+{passing}\s+dedicated\s+{Newest} -> {Newest}\s+current$", second.StdOut);
            Assert.Matches($@"(?m)^second\s+{recorded}\s+dedicated\s+{Newest} -> {Newest}\s+current$", second.StdOut);
            Assert.Contains("1 migrated", second.StdOut, StringComparison.Ordinal);
            Assert.Contains("0 failed", second.StdOut, StringComparison.Ordinal);
            Assert.Equal(Newest, await fleet.ScalarAsync<int>(fleet.SecondUrl, "SELECT max(version) FROM tenantrag.migrations", failing));
        }
        finally
        {
            foreach (var database in new[] { failing, recorded })
            {
                await fleet.ExecuteAsync(fleet.SecondUrl, "postgres", $"ALTER DATABASE \"{database}\" WITH ALLOW_CONNECTIONS true");
            }

            await DeleteAsync(failing, passing, recorded);
        }
    }

    [Theory]
    [InlineData("0")]
    [InlineData("33")]
    [InlineData("-1")]
    [InlineData("many")]
    public async Task Migrate_BadParallel_IsUsageErrorAndChangesNothing(string parallel)
    {
        await fleet.EnsureSecondAddedAsync();
        const string Versions = "SELECT string_agg(server_id || ':' || database_name || ':' || version || ':' || updated_at, ',' ORDER BY server_id, database_name) FROM tenantrag.schema_versions";
        var before = await fleet.ScalarAsync<string>(fleet.MainUrl, Versions, Catalog);

        var run = await RunAsync(2, "migrate", "--parallel", parallel);

        Assert.Contains("--parallel", run.StdErr, StringComparison.Ordinal);
        Assert.Equal(before, await fleet.ScalarAsync<string>(fleet.MainUrl, Versions, Catalog));
    }

    [Fact]
    public async Task CreateDedicated_OnSecond_RecordsItsVersionUnderItsServerAndDeleteRemovesOnlyThat()
    {
        await fleet.EnsureSecondAddedAsync();
        var database = await CreateDedicatedAsync("second");

        // The other end of a move would be a database of the same name on another server.
        await fleet.ExecuteAsync(fleet.MainUrl, Catalog, $"INSERT INTO tenantrag.schema_versions (server_id, database_name, kind, version) VALUES ('primary', '{database}', 'dedicated', 1)");
        try
        {
            var created = await VersionRowsAsync(database);
            await DeleteAsync(database);
            var deleted = await VersionRowsAsync(database);

            Assert.Equal([$"primary:{database}:dedicated:1", $"second:{database}:dedicated:{Newest}"], created);
            Assert.Equal([$"primary:{database}:dedicated:1"], deleted);
        }
        finally
        {
            await fleet.ExecuteAsync(fleet.MainUrl, Catalog, $"DELETE FROM tenantrag.schema_versions WHERE database_name = '{database}'");
        }
    }

    // A dedicated tenant on `server`; returns its database's name (its slug is the name's tail).
    private async Task<string> CreateDedicatedAsync(string server)
    {
        var slug = Slugs.UniqueText("mig");
        await RunAsync(0, "tenant", "create", slug, "--mode", "dedicated", "--server", server);
        return (await RunAsync(0, "tenant", "show", slug, "--json")).Json().GetProperty("database").GetString()!;
    }

    private async Task DeleteAsync(params string[] databases)
    {
        foreach (var database in databases)
        {
            var slug = await fleet.ScalarAsync<string>(fleet.MainUrl, "SELECT slug FROM tenantrag.tenants WHERE database_name = $1", Catalog, database);
            await RunAsync(0, "tenant", "delete", slug, "--yes");
        }
    }

    // Replaces a tenant's database with an empty one (no schema, no migration), closed to PUBLIC as the template's copies are.
    private async Task EmptyAsync(string url, string database)
    {
        await fleet.ExecuteAsync(url, "postgres", $"DROP DATABASE \"{database}\" WITH (FORCE)");
        await fleet.ExecuteAsync(url, "postgres", $"CREATE DATABASE \"{database}\" OWNER tenantrag_admin");
        await fleet.ExecuteAsync(url, "postgres", $"REVOKE ALL ON DATABASE \"{database}\" FROM PUBLIC");
        await fleet.ExecuteAsync(url, "postgres", $"GRANT CONNECT ON DATABASE \"{database}\" TO \"{database}\"");
        await fleet.ExecuteAsync(fleet.MainUrl, Catalog, $"DELETE FROM tenantrag.schema_versions WHERE database_name = '{database}'");
    }

    private async Task<List<string>> VersionRowsAsync(params string[] databases)
    {
        var text = await fleet.ScalarAsync<string>(fleet.MainUrl, """
            SELECT string_agg(server_id || ':' || database_name || ':' || kind || ':' || version, ',' ORDER BY server_id, database_name)
            FROM tenantrag.schema_versions WHERE database_name = ANY($1)
            """, Catalog, new object[] { databases });
        return [.. text.Split(',')];
    }

    private static Dictionary<(string Server, string Database), (string Kind, int? Before, int? After, string Status)> Report(CliRun run) =>
        run.Json().GetProperty("databases").EnumerateArray().ToDictionary(
            d => (d.GetProperty("server").GetString()!, d.GetProperty("database").GetString()!),
            d => (d.GetProperty("kind").GetString()!, Version(d, "versionBefore"), Version(d, "versionAfter"), d.GetProperty("status").GetString()!));

    private static (string Kind, int? Before, int? After, string Status) Entry(string kind, int? before, int? after, string status) => (kind, before, after, status);

    private static int? Version(JsonElement database, string property) =>
        database.GetProperty(property).ValueKind == JsonValueKind.Null ? null : database.GetProperty(property).GetInt32();

    private Task<CliRun> RunAsync(int exitCode, params string[] args) => fleet.RunAsync(exitCode, args);
}
