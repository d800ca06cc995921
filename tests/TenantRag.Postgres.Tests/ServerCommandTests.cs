using Npgsql;
using TenantRag.Testing;

namespace TenantRag.Postgres.Tests;

/// <summary>
/// <c>tenantrag db start --name</c> and <c>tenantrag server add|list|remove|drain</c> through the real command line,
/// over two real clusters the command line starts itself (<c>main</c>, the primary, and <c>second</c>) and the
/// assembly's server (for a role that lacks privileges). No password may appear in any output.
/// </summary>
public sealed class ServerCommandTests(ServerCommandTests.Fleet fleet, PostgresServer server) : IClassFixture<ServerCommandTests.Fleet>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task DbStart_Named_PrintsUrlWithoutPasswordAndStatusListsIt()
    {
        var again = await fleet.Boot.RunAsync("db", "start", "--name", "second");
        var status = await fleet.Boot.RunAsync("db", "status", "--json");
        var badName = await fleet.Boot.RunAsync("db", "start", "--name", "Second_1");

        Assert.Equal(0, again.ExitCode);
        Assert.Contains($"postgres://postgres@127.0.0.1:{fleet.SecondPort}/postgres", again.StdOut, StringComparison.Ordinal);
        Assert.Contains("secrets.json", again.StdOut, StringComparison.Ordinal);
        var clusters = status.Json().GetProperty("clusters").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!);
        // The runner names an external server (TENANTRAG_DATABASE_URL), so there is no default cluster to list.
        Assert.Equal(["main", "second"], clusters.Keys.Order(StringComparer.Ordinal));
        Assert.True(clusters["second"].GetProperty("running").GetBoolean());
        Assert.Equal(fleet.SecondPort, clusters["second"].GetProperty("port").GetInt32());
        Assert.Equal(Path.Combine(fleet.Boot.Home, "clusters", "second", "pgdata"), clusters["second"].GetProperty("dataDirectory").GetString());
        Assert.Equal("logical", await fleet.ScalarAsync<string>(fleet.SecondUrl, "SHOW wal_level"));
        Assert.Equal(2, badName.ExitCode);
        Assert.Contains("invalid cluster name", badName.StdErr, StringComparison.Ordinal);
        fleet.AssertNoPassword(again, status, badName);
    }

    [Fact]
    public async Task Add_SecondCluster_ListedWithItsFieldsAndServingRoleLogsIn()
    {
        await fleet.EnsureSecondAddedAsync();

        var list = await fleet.Cli.RunAsync("server", "list", "--json");
        var text = await fleet.Cli.RunAsync("server", "list");
        var again = await fleet.Cli.RunAsync("server", "add", "second", "--url", fleet.SecondUrl);

        Assert.Equal(0, list.ExitCode);
        var servers = list.Json().EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!);
        Assert.Equal(["primary", "second"], servers.Keys);
        var second = servers["second"];
        Assert.Equal(fleet.SecondPort, second.GetProperty("port").GetInt32());
        Assert.Equal("active", second.GetProperty("status").GetString());
        Assert.Equal(25, second.GetProperty("capacity").GetInt32());
        Assert.StartsWith("15", second.GetProperty("version").GetString(), StringComparison.Ordinal);
        Assert.Equal(["tenantrag_shared", "tenantrag_template"], second.GetProperty("databases").EnumerateArray().Select(d => d.GetString()));
        Assert.True(second.GetProperty("diskBytes").GetInt64() > 0);
        Assert.True(second.GetProperty("connections").GetInt64() >= 0);
        Assert.Equal(0, second.GetProperty("tenants").GetProperty("shared").GetInt32());
        Assert.Equal(0, second.GetProperty("tenants").GetProperty("dedicated").GetInt32());
        Assert.Equal("file", second.GetProperty("credentials").GetString());
        Assert.Contains("tenantrag_catalog", servers["primary"].GetProperty("databases").EnumerateArray().Select(d => d.GetString()));
        Assert.Equal(0, text.ExitCode);
        Assert.Contains("second", text.StdOut, StringComparison.Ordinal);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("already in the fleet", again.StdErr, StringComparison.Ordinal);

        // The password is kept in a 0600 file, never in the catalog; the serving role logs in with the primary's password.
        var file = Path.Combine(fleet.Cli.Home, "servers", "second.json");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        var row = await fleet.ScalarAsync<string>(fleet.MainUrl, "SELECT row_to_json(s)::text FROM tenantrag.servers s WHERE id = 'second'", "tenantrag_catalog");
        Assert.DoesNotContain(fleet.SecondPassword, row, StringComparison.Ordinal);
        Assert.Equal(1, await fleet.ScalarAsync<int>(fleet.UrlAs(fleet.SecondPort, "tenantrag_app", fleet.Secret("appPassword")), "SELECT 1", "tenantrag_shared"));
        fleet.AssertNoPassword(list, text, again);
    }

    [Fact]
    public async Task Add_RoleWithoutPrivileges_NamesEachMissingAndChangesNothing()
    {
        var role = "fleet_weak_" + Slugs.RandomLetters(6);
        const string password = "weak-password-4f9c2a71";
        await server.ExecuteAsync("postgres", $"CREATE ROLE {role} LOGIN CREATEROLE PASSWORD '{password}'");

        // An installation on this server closes its maintenance databases to PUBLIC: the role may connect by grant.
        await server.ExecuteAsync("postgres", $"GRANT CONNECT ON DATABASE postgres TO {role}");
        try
        {
            var url = $"postgres://{role}:{password}@{server.Endpoint.Host}:{server.Endpoint.Port}/postgres";

            var add = await fleet.Cli.RunAsync("server", "add", "weak", "--url", url);
            var json = await fleet.Cli.RunAsync("server", "add", "weak", "--url", url, "--json");

            Assert.Equal(1, add.ExitCode);
            Assert.Contains($"missing: CREATEDB: ALTER ROLE \"{role}\" CREATEDB;", add.StdErr, StringComparison.Ordinal);
            Assert.Contains($"missing: REPLICATION (tenant moves): ALTER ROLE \"{role}\" REPLICATION;", add.StdErr, StringComparison.Ordinal);
            Assert.Contains("missing: SUPERUSER", add.StdErr, StringComparison.Ordinal);
            if (await server.ScalarAsync<string>("postgres", "SHOW wal_level") != "logical")
            {
                Assert.Contains("missing: wal_level = logical", add.StdErr, StringComparison.Ordinal);
            }

            Assert.DoesNotContain("missing: CREATEROLE", add.StdErr, StringComparison.Ordinal);
            Assert.Contains("nothing changed", add.StdErr, StringComparison.Ordinal);
            Assert.Equal(1, json.ExitCode);
            Assert.Contains("CREATEDB", json.StdErr, StringComparison.Ordinal);
            Assert.Equal(0L, await fleet.ScalarAsync<long>(fleet.MainUrl, "SELECT count(*) FROM tenantrag.servers WHERE id = 'weak'", "tenantrag_catalog"));
            Assert.False(File.Exists(Path.Combine(fleet.Cli.Home, "servers", "weak.json")));
            Assert.Equal(0L, await server.ScalarAsync<long>("postgres", "SELECT count(*) FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba WHERE r.rolname = $1", role));
            foreach (var run in new[] { add, json })
            {
                Assert.DoesNotContain(password, run.ToString(), StringComparison.Ordinal);
            }
        }
        finally
        {
            await server.ExecuteAsync("postgres", $"REVOKE CONNECT ON DATABASE postgres FROM {role}");
            await server.ExecuteAsync("postgres", $"DROP ROLE {role}");
        }
    }

    [Fact]
    public async Task Remove_WaitingOnAPlacementThatCommitsATenant_SeesItAndRefuses()
    {
        await fleet.EnsureSecondAddedAsync();

        // A placement in flight: it holds the server's row lock and writes a tenant mapped to it, not yet committed.
        await using var placement = new NpgsqlConnection(fleet.CatalogConnectionString());
        await placement.OpenAsync(Ct);
        await using var tx = await placement.BeginTransactionAsync(Ct);
        await using (var lockRow = new NpgsqlCommand("SELECT id FROM tenantrag.servers WHERE id = 'second' FOR UPDATE", placement, tx))
        {
            await lockRow.ExecuteScalarAsync(Ct);
        }

        await using (var insert = new NpgsqlCommand(
            "INSERT INTO tenantrag.tenants (slug, mode, server_id, database_name, status) VALUES ('fleet-racing', 'shared', 'second', 'tenantrag_shared', 'active')", placement, tx))
        {
            await insert.ExecuteNonQueryAsync(Ct);
        }

        try
        {
            var remove = fleet.Cli.RunAsync("server", "remove", "second");

            // Wait until the remove is waiting for the row lock, then let the placement commit.
            for (var waited = 0; await fleet.ScalarAsync<long>(fleet.MainUrl,
                "SELECT count(*) FROM pg_stat_activity WHERE datname = 'tenantrag_catalog' AND wait_event_type = 'Lock'", "tenantrag_catalog") == 0; waited++)
            {
                Assert.True(waited < 600, "the remove never waited for the placement's lock");
                await Task.Delay(50, Ct);
            }

            await tx.CommitAsync(Ct);
            var removed = await remove;

            Assert.Equal(1, removed.ExitCode);
            Assert.Contains("still holds 1 tenant", removed.StdErr, StringComparison.Ordinal);
            Assert.Equal("active", await fleet.ScalarAsync<string>(fleet.MainUrl, "SELECT status FROM tenantrag.servers WHERE id = 'second'", "tenantrag_catalog"));
        }
        finally
        {
            await fleet.ExecuteAsync(fleet.MainUrl, "tenantrag_catalog", "DELETE FROM tenantrag.tenants WHERE slug = 'fleet-racing'");
        }
    }

    [Theory]
    [InlineData("Bad!", "url")]
    [InlineData("primary", "url")]
    [InlineData("ok-name", "not-a-url")]
    [InlineData("ok-name", "postgres://postgres@127.0.0.1:5432/postgres")]
    [InlineData("ok-name", "postgres://u:p@127.0.0.1:99999/postgres")]
    public async Task Add_BadNameOrUrl_IsUsageErrorAndChangesNothing(string name, string url)
    {
        await fleet.EnsureSecondAddedAsync();
        const string Servers = "SELECT string_agg(id || ':' || status || ':' || port, ',' ORDER BY id) FROM tenantrag.servers";
        var before = await fleet.ScalarAsync<string>(fleet.MainUrl, Servers, "tenantrag_catalog");

        var run = await fleet.Cli.RunAsync("server", "add", name, "--url", url == "url" ? fleet.SecondUrl : url);

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("error: ", run.StdErr, StringComparison.Ordinal);
        Assert.Equal(before, await fleet.ScalarAsync<string>(fleet.MainUrl, Servers, "tenantrag_catalog"));
        fleet.AssertNoPassword(run);
        Assert.DoesNotContain(":p@", run.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Add_PasswordInUrlAndEnvironment_IsUsageError()
    {
        var run = await fleet.Cli.RunAsync(new Dictionary<string, string> { ["FLEET_PW"] = "x" }, "server", "add", "other", "--url", fleet.SecondUrl, "--password-env", "FLEET_PW");
        var unset = await fleet.Cli.RunAsync("server", "add", "other", "--url", fleet.SecondUrlWithoutPassword, "--password-env", "FLEET_PW_UNSET");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("not both", run.StdErr, StringComparison.Ordinal);
        Assert.Equal(2, unset.ExitCode);
        Assert.Contains("FLEET_PW_UNSET", unset.StdErr, StringComparison.Ordinal);
        fleet.AssertNoPassword(run, unset);
    }

    [Fact]
    public async Task Remove_WhileTenantMapped_RefusedThenRemovedAndAddedAgainFromEnvironment()
    {
        await fleet.EnsureSecondAddedAsync();
        // Placement (issue 14 item 2) does not exist yet: the mapping is written into the catalog directly. A shared
        // tenant, because today's installer migrates every active dedicated tenant's database on the primary.
        await fleet.ExecuteAsync(fleet.MainUrl, "tenantrag_catalog",
            "INSERT INTO tenantrag.tenants (slug, mode, server_id, database_name, status) VALUES ('fleet-mapped', 'shared', 'second', 'tenantrag_shared', 'active')");
        CliRun refused, listed;
        try
        {
            refused = await fleet.Cli.RunAsync("server", "remove", "second");
            listed = await fleet.Cli.RunAsync("server", "list", "--json");
        }
        finally
        {
            await fleet.ExecuteAsync(fleet.MainUrl, "tenantrag_catalog", "DELETE FROM tenantrag.tenants WHERE slug = 'fleet-mapped'");
        }

        var removed = await fleet.Cli.RunAsync("server", "remove", "second");
        var afterRemove = await fleet.Cli.RunAsync("server", "list", "--json");
        var primary = await fleet.Cli.RunAsync("server", "remove", "primary");
        var drain = await fleet.Cli.RunAsync("server", "drain", "second");
        var readded = await fleet.Cli.RunAsync(new Dictionary<string, string> { ["FLEET_SECOND_PW"] = fleet.SecondPassword },
            "server", "add", "second", "--url", fleet.SecondUrlWithoutPassword, "--capacity", "25", "--password-env", "FLEET_SECOND_PW");

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("still holds 1 tenant", refused.StdErr, StringComparison.Ordinal);
        var mapped = listed.Json().EnumerateArray().Single(s => s.GetProperty("name").GetString() == "second");
        Assert.Equal(1, mapped.GetProperty("tenants").GetProperty("shared").GetInt32());
        Assert.Equal(0, removed.ExitCode);
        Assert.Contains("left on it", removed.StdOut, StringComparison.Ordinal);
        Assert.Equal("removed", afterRemove.Json().EnumerateArray().Single(s => s.GetProperty("name").GetString() == "second").GetProperty("status").GetString());
        Assert.False(File.Exists(Path.Combine(fleet.Cli.Home, "servers", "second.json")));
        Assert.Equal(1L, await fleet.ScalarAsync<long>(fleet.SecondUrl, "SELECT count(*) FROM pg_database WHERE datname = 'tenantrag_shared'"));
        Assert.Equal(1, primary.ExitCode);
        Assert.Equal(1, drain.ExitCode);
        Assert.Contains("not yet", drain.StdErr, StringComparison.Ordinal);
        Assert.Equal(0, readded.ExitCode);
        Assert.Equal("env:FLEET_SECOND_PW", await fleet.ScalarAsync<string>(fleet.MainUrl, "SELECT credentials FROM tenantrag.servers WHERE id = 'second'", "tenantrag_catalog"));
        Assert.False(File.Exists(Path.Combine(fleet.Cli.Home, "servers", "second.json")));
        fleet.AssertNoPassword(refused, listed, removed, afterRemove, primary, drain, readded);

        // Back to the class's usual fleet (second added with its password in a file), whichever test runs next.
        var restored = await fleet.Cli.RunAsync("server", "remove", "second");
        Assert.True(restored.ExitCode == 0, restored.ToString());
        await fleet.EnsureSecondAddedAsync();
    }

    /// <summary>Two named clusters started through the command line: <c>main</c> (the primary of <see cref="Cli"/>) and <c>second</c>.</summary>
    public sealed class Fleet : IAsyncLifetime
    {
        private readonly SemaphoreSlim _addLock = new(1, 1);
        private bool _added;

        /// <summary>Runs <c>db start|stop --name</c>; its database URL is never used.</summary>
        public CliRunner Boot { get; } = new("postgres://nobody@127.0.0.1:1/postgres", TenantRagCli.Assembly);

        public CliRunner Cli { get; private set; } = null!;

        public string MainUrl { get; private set; } = null!;

        public string SecondUrl { get; private set; } = null!;

        public string SecondUrlWithoutPassword => $"postgres://postgres@127.0.0.1:{SecondPort}/postgres";

        public int SecondPort { get; private set; }

        public string SecondPassword { get; private set; } = null!;

        public async ValueTask InitializeAsync()
        {
            MainUrl = await StartAsync("main");
            var second = await Boot.RunAsync("db", "start", "--name", "second", "--show-password", "--json");
            Assert.True(second.ExitCode == 0, second.ToString());
            SecondUrl = second.Json().GetProperty("url").GetString()!;
            SecondPort = second.Json().GetProperty("port").GetInt32();
            SecondPassword = new NpgsqlConnectionStringBuilder(Builder(SecondUrl, "postgres").ConnectionString).Password!;
            Cli = new CliRunner(MainUrl, TenantRagCli.Assembly);
        }

        public async ValueTask DisposeAsync()
        {
            NpgsqlConnection.ClearAllPools();
            Cli?.Dispose();
            foreach (var name in new[] { "main", "second" })
            {
                await Boot.RunAsync("db", "stop", "--name", name);
            }

            Boot.Dispose();
            _addLock.Dispose();
        }

        public async Task EnsureSecondAddedAsync()
        {
            await _addLock.WaitAsync(Ct);
            try
            {
                var current = _added ? await ScalarAsync<string>(MainUrl, "SELECT status FROM tenantrag.servers WHERE id = 'second'", "tenantrag_catalog") : null;
                if (current != "active")
                {
                    var add = await Cli.RunAsync("server", "add", "second", "--url", SecondUrl, "--capacity", "25");
                    Assert.True(add.ExitCode == 0, add.ToString());
                    Assert.Contains("added server 'second'", add.StdOut, StringComparison.Ordinal);
                    AssertNoPassword(add);
                    _added = true;
                }
            }
            finally
            {
                _addLock.Release();
            }
        }

        /// <summary>Runs the command line on the primary, expecting <paramref name="exitCode"/> and no password in what it printed.</summary>
        public async Task<CliRun> ExpectAsync(int exitCode, params string[] args)
        {
            var run = await Cli.RunAsync(args);
            Assert.True(run.ExitCode == exitCode, $"tenantrag {string.Join(' ', args)}: {run}");
            AssertNoPassword(run);
            return run;
        }

        /// <summary>A value of the primary's generated secrets (the command line's <c>secrets.json</c>).</summary>
        public string Secret(string key) =>
            System.Text.Json.JsonDocument.Parse(File.ReadAllText(SecretsFile)).RootElement.GetProperty(key).GetString()!;

        private string SecretsFile => Path.Combine(Cli.Home, "secrets.json");

        public string UrlAs(int port, string user, string password) => $"postgres://{user}:{Uri.EscapeDataString(password)}@127.0.0.1:{port}/postgres";

        /// <summary>No run printed a password of the fleet (the clusters' superusers, the installation's roles).</summary>
        public void AssertNoPassword(params CliRun[] runs)
        {
            var secrets = new List<string> { SecondPassword, new NpgsqlConnectionStringBuilder(Builder(MainUrl, "postgres").ConnectionString).Password! };
            if (File.Exists(SecretsFile))
            {
                secrets.AddRange([Secret("adminPassword"), Secret("appPassword")]);
            }

            foreach (var run in runs)
            {
                foreach (var secret in secrets)
                {
                    Assert.DoesNotContain(secret, run.ToString(), StringComparison.Ordinal);
                }
            }
        }

        public async Task<T> ScalarAsync<T>(string url, string sql, string database = "postgres", params object[] parameters)
        {
            await using var source = NpgsqlDataSource.Create(Builder(url, database).ConnectionString);
            await using var cmd = source.CreateCommand(sql);
            foreach (var parameter in parameters)
            {
                cmd.Parameters.Add(new NpgsqlParameter { Value = parameter });
            }

            return (T)(await cmd.ExecuteScalarAsync(Ct))!;
        }

        /// <summary>The primary's catalog as the cluster's superuser.</summary>
        public string CatalogConnectionString() => Builder(MainUrl, "tenantrag_catalog").ConnectionString;

        public async Task ExecuteAsync(string url, string database, string sql)
        {
            await using var source = NpgsqlDataSource.Create(Builder(url, database).ConnectionString);
            await using var cmd = source.CreateCommand(sql);
            await cmd.ExecuteNonQueryAsync(Ct);
        }

        private static NpgsqlConnectionStringBuilder Builder(string url, string database)
        {
            var endpoint = TenantRag.Postgres.Cluster.ServerEndpoint.Parse(url);
            var builder = endpoint.ConnectionString(endpoint.BootstrapUsername, endpoint.BootstrapPassword, database);
            builder.Pooling = false;
            builder.ApplicationName = "tenantrag-tests";
            return builder;
        }

        private async Task<string> StartAsync(string name)
        {
            var run = await Boot.RunAsync("db", "start", "--name", name, "--show-password", "--json");
            Assert.True(run.ExitCode == 0, run.ToString());
            return run.Json().GetProperty("url").GetString()!;
        }
    }
}
