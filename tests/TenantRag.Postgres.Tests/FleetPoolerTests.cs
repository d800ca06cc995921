using System.Net;
using System.Net.Sockets;
using TenantRag.Postgres.Cluster;
using TenantRag.Postgres.Drills;
using TenantRag.Postgres.Installation;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Postgres.Tests;

/// <summary>
/// A pooler per server of the fleet (<c>server add|set --pooler-url</c>, issue 14 item 4): a real PgBouncer in
/// transaction mode in front of the second of two clusters the command line starts. Shared tenants on that server are
/// served through it (and only through it), a pooler that does not reach that server's shared database as the serving
/// role is refused with what is wrong, and the leak drills hold through it.
/// </summary>
[Trait("Category", "Isolation")]
public sealed class FleetPoolerTests(FleetPoolerTests.PooledFleet pooled) : IClassFixture<FleetPoolerTests.PooledFleet>
{
    private const string Catalog = "tenantrag_catalog";
    private const string Shared = "tenantrag_shared";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ServerCommandTests.Fleet Fleet => pooled.Fleet;

    [Fact]
    public async Task Add_WithPoolerUrl_SharedTenantOnSecondIsServedThroughItUntilSetToNone()
    {
        await pooled.EnsureSecondPooledAsync();
        var slug = Slugs.UniqueText("pooled");
        try
        {
            var list = await Fleet.RunAsync(0, "server", "list", "--json");
            var text = await Fleet.RunAsync(0, "server", "list");
            var servers = list.Json().EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!);
            Assert.Equal(pooled.Pooler.Address, servers["second"].GetProperty("pooler").GetString());
            Assert.Equal(System.Text.Json.JsonValueKind.Null, servers["primary"].GetProperty("pooler").ValueKind);
            Assert.Contains($", pooler {pooled.Pooler.Address});", text.StdOut, StringComparison.Ordinal);

            // No serving connection to the second's shared database is left from before (the pooler's own included).
            await TerminateServingConnectionsAsync();

            await Fleet.RunAsync(0, "tenant", "create", slug, "--mode", "shared", "--server", "second");
            await Fleet.IngestAsync(slug, "ledger.md", "# Narwhal ledger\n\nThe narwhal ledger lists every tusk of the pod.\n");
            var search = await Fleet.RunAsync(0, "search", slug, "narwhal tusk", "--user", "alice", "--json");
            Assert.NotEmpty(search.Json().GetProperty("results").EnumerateArray());

            // Every command has exited, yet the serving role's connections to that database are still open on the
            // second server: PgBouncer keeps them in its pool. Direct connections would have closed with each command.
            Assert.True(await ServingConnectionsAsync() > 0, "no serving connection outlived the commands: the tenant was not served through the pooler");

            // The pooler stopped: the tenant cannot be served (its sessions go nowhere else), and the pooler cannot be
            // set again while it does not answer; the catalog keeps what it had.
            await pooled.Pooler.StopAsync();
            var unserved = await Fleet.RunAsync(1, "search", slug, "narwhal tusk", "--user", "alice");
            var refused = await Fleet.RunAsync(1, "server", "set", "second", "--pooler-url", pooled.PoolerUrl);
            Assert.Contains("does not answer", refused.StdErr, StringComparison.Ordinal);
            Assert.Contains("nothing changed", refused.StdErr, StringComparison.Ordinal);
            Assert.Equal(pooled.Pooler.Status.Port, await PoolerPortAsync());
            Assert.DoesNotContain("narwhal", unserved.StdOut, StringComparison.OrdinalIgnoreCase);

            // --pooler-url none: served directly again.
            var direct = await Fleet.RunAsync(0, "server", "set", "second", "--pooler-url", "none");
            Assert.Contains("pooler none", direct.StdOut, StringComparison.Ordinal);
            Assert.Null(await PoolerPortAsync());
            Assert.NotEmpty((await Fleet.RunAsync(0, "search", slug, "narwhal tusk", "--user", "alice", "--json")).Json().GetProperty("results").EnumerateArray());

            await pooled.Pooler.RestartAsync();
            var again = await Fleet.RunAsync(0, "server", "set", "second", "--pooler-url", pooled.PoolerUrl, "--json");
            Assert.Equal(pooled.Pooler.Address, again.Json().GetProperty("pooler").GetString());
            Assert.NotEmpty((await Fleet.RunAsync(0, "search", slug, "narwhal tusk", "--user", "alice", "--json")).Json().GetProperty("results").EnumerateArray());
        }
        finally
        {
            await pooled.Pooler.RestartAsync();
            await Fleet.Cli.RunAsync("tenant", "delete", slug, "--yes");
        }
    }

    [Fact]
    public async Task Add_WithAPoolerThatFailsItsCheck_NamesWhatIsWrongAndAddsNothing()
    {
        await pooled.RemoveSecondAsync();
        var appPassword = Fleet.Secret("appPassword");
        await using var beforePrimary = await pooled.StartPoolerAsync("before-primary", Fleet.MainPort, new() { ["tenantrag_app"] = appPassword });
        await using var withoutRole = await pooled.StartPoolerAsync("without-role", Fleet.SecondPort, new() { ["someone_else"] = "another-password-7c1d" });
        try
        {
            var silent = await AddSecondAsync(1, $"postgres://127.0.0.1:{FreePort()}/{Shared}");
            var wrongServer = await AddSecondAsync(1, $"postgres://{beforePrimary.Address}/{Shared}");
            var noRole = await AddSecondAsync(1, $"postgres://{withoutRole.Address}");

            Assert.Contains("does not answer", silent.StdErr, StringComparison.Ordinal);
            Assert.Contains($"the pooler at {beforePrimary.Address} reaches another PostgreSQL server, not server 'second' (127.0.0.1:{Fleet.SecondPort})", wrongServer.StdErr, StringComparison.Ordinal);
            Assert.Contains($"the pooler at {withoutRole.Address} does not let the serving role tenantrag_app in", noRole.StdErr, StringComparison.Ordinal);
            foreach (var run in new[] { silent, wrongServer, noRole })
            {
                Assert.Contains("nothing changed", run.StdErr, StringComparison.Ordinal);
                Assert.DoesNotContain(appPassword, run.ToString(), StringComparison.Ordinal);
            }

            Assert.Equal(0L, await Fleet.ScalarAsync<long>(Fleet.MainUrl, "SELECT count(*) FROM tenantrag.servers WHERE id = 'second' AND status <> 'removed'", Catalog));
            Assert.False(File.Exists(Path.Combine(Fleet.Cli.Home, "servers", "second.json")));
        }
        finally
        {
            await pooled.EnsureSecondPooledAsync();
        }
    }

    [Theory]
    [InlineData("postgres://tenantrag_app:hunter2-secret@127.0.0.1:6432/tenantrag_shared", "no user or password")]
    [InlineData("postgres://127.0.0.1:6432/tenantrag_catalog", "names the database 'tenantrag_catalog'")]
    [InlineData("postgres://127.0.0.1:6432/tenantrag_shared?sslmode=disable", "takes no parameters")]
    [InlineData("127.0.0.1", "invalid --pooler-url '127.0.0.1'")]
    [InlineData("https://127.0.0.1:6432", "invalid --pooler-url")]
    public async Task Set_MalformedPoolerUrl_IsUsageErrorQuotingNoPasswordAndChangesNothing(string url, string message)
    {
        await pooled.EnsureSecondPooledAsync();
        var before = await PoolerPortAsync();

        var set = await Fleet.RunAsync(2, "server", "set", "second", "--pooler-url", url);
        var add = await Fleet.RunAsync(2, "server", "add", "third", "--url", Fleet.SecondUrl, "--pooler-url", url);

        foreach (var run in new[] { set, add })
        {
            Assert.Contains(message, run.StdErr, StringComparison.Ordinal);
            Assert.DoesNotContain("hunter2", run.ToString(), StringComparison.Ordinal);
        }

        Assert.Equal(before, await PoolerPortAsync());
        Assert.Equal(0L, await Fleet.ScalarAsync<long>(Fleet.MainUrl, "SELECT count(*) FROM tenantrag.servers WHERE id = 'third'", Catalog));
    }

    [Fact]
    public async Task LeakDrills_SharedTenantsOnSecondThroughItsPooler_SessionSetLeaksAndTenantSessionsDoNot()
    {
        await pooled.EnsureSecondPooledAsync();
        await using var database = await TenantRagDatabase.OpenAsync(ServerEndpoint.Parse(Fleet.MainUrl), Secrets.LoadOrCreate(new TenantRagHome(Fleet.Cli.Home)),
            cancellationToken: Ct);
        var subject = await LeakDrillTests.SeedAsync(database, TenancyMode.Shared, server: "second");
        try
        {
            var drills = new LeakDrills(database);

            var pooler = await drills.RunPoolerAsync(subject, Ct);
            var every = await drills.RunAsync(subject, Ct);

            Assert.Equal(("second", "second"), (subject.Tenant.Server, subject.ForeignTenant.Server));
            Assert.Equal(["pooler-session-set", "pooler-tenant-sessions"], pooler.Select(r => r.Name));
            Assert.False(pooler[0].Passed, pooler[0].Observed);
            Assert.StartsWith("leaked:", pooler[0].Observed, StringComparison.Ordinal);
            Assert.True(pooler[1].Passed, pooler[1].Observed);
            Assert.Contains("sees 1 own rows, 0 foreign rows and 0 of", pooler[1].Observed, StringComparison.Ordinal);
            Assert.All(every, r => Assert.True(r.Passed, $"{r.Name}: {r.Observed}"));

            // The rows the drills saw are the second server's: the primary's shared database holds none of them.
            Assert.Equal(0L, await Fleet.ScalarAsync<long>(Fleet.MainUrl, "SELECT count(*) FROM public.documents WHERE tenant_id IN ($1, $2)", Shared, subject.Tenant.Id, subject.ForeignTenant.Id));
            Assert.Equal(5L, await Fleet.ScalarAsync<long>(Fleet.SecondUrl, "SELECT count(*) FROM public.documents WHERE tenant_id IN ($1, $2)", Shared, subject.Tenant.Id, subject.ForeignTenant.Id));
        }
        finally
        {
            await database.Catalog.DeleteAsync(subject.Tenant.Slug, Ct);
            await database.Catalog.DeleteAsync(subject.ForeignTenant.Slug, Ct);
        }
    }

    private Task<CliRun> AddSecondAsync(int exitCode, string poolerUrl) =>
        Fleet.RunAsync(exitCode, "server", "add", "second", "--url", Fleet.SecondUrl, "--capacity", "25", "--pooler-url", poolerUrl);

    private async Task<int?> PoolerPortAsync() =>
        await Fleet.ScalarAsync<object>(Fleet.MainUrl, "SELECT coalesce(pooler_port, -1) FROM tenantrag.servers WHERE id = 'second'", Catalog) is int port and > 0 ? port : null;

    private Task<long> ServingConnectionsAsync() => Fleet.ScalarAsync<long>(Fleet.SecondUrl,
        "SELECT count(*) FROM pg_stat_activity WHERE usename = 'tenantrag_app' AND datname = $1", "postgres", Shared);

    // Ends every serving connection to the second's shared database and waits until none is left.
    private async Task TerminateServingConnectionsAsync()
    {
        await Fleet.ScalarAsync<long>(Fleet.SecondUrl,
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = 'tenantrag_app' AND datname = $1", "postgres", Shared);
        for (var waited = 0; await ServingConnectionsAsync() > 0; waited++)
        {
            Assert.True(waited < 200, "the serving connections did not end");
            await Task.Delay(50, Ct);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The fleet of <see cref="ServerCommandTests.Fleet"/> and a PgBouncer in transaction mode in front of its second cluster.</summary>
    public sealed class PooledFleet : IAsyncLifetime
    {
        private readonly SemaphoreSlim _lock = new(1, 1);

        public ServerCommandTests.Fleet Fleet { get; } = new();

        /// <summary>In front of the second cluster, letting the serving role in with its password of the installation's secrets.json.</summary>
        public PgBouncerServer Pooler { get; private set; } = null!;

        public string PoolerUrl => $"postgres://{Pooler.Address}/{Shared}";

        public async ValueTask InitializeAsync()
        {
            await Fleet.InitializeAsync();

            // The installation's first command bootstraps it, so secrets.json (the serving role's password) exists.
            var bootstrap = await Fleet.Cli.RunAsync("server", "list");
            Assert.True(bootstrap.ExitCode == 0, bootstrap.ToString());
            Pooler = await StartPoolerAsync("second", Fleet.SecondPort, new() { ["tenantrag_app"] = Fleet.Secret("appPassword") });
        }

        public async ValueTask DisposeAsync()
        {
            if (Pooler is not null)
            {
                await Pooler.DisposeAsync();
            }

            await Fleet.DisposeAsync();
            _lock.Dispose();
        }

        /// <summary>A PgBouncer in transaction mode (two server connections per pool) in front of the fleet's cluster at <paramref name="port"/>.</summary>
        public Task<PgBouncerServer> StartPoolerAsync(string name, int port, Dictionary<string, string> users) =>
            PgBouncerServer.StartAsync(Path.Combine(Fleet.Cli.Home, "pgbouncer-" + name + "-" + Slugs.RandomLetters(6)), "127.0.0.1", port, users, defaultPoolSize: 2);

        /// <summary>The second cluster in the fleet with <see cref="Pooler"/> as its pooler.</summary>
        public async Task EnsureSecondPooledAsync()
        {
            await _lock.WaitAsync(Ct);
            try
            {
                var state = await Fleet.ScalarAsync<string>(Fleet.MainUrl,
                    "SELECT coalesce((SELECT status || ':' || coalesce(pooler_port::text, '') FROM tenantrag.servers WHERE id = 'second'), '')", Catalog);
                string[] args = state.Length == 0 || state.StartsWith("removed", StringComparison.Ordinal)
                    ? ["server", "add", "second", "--url", Fleet.SecondUrl, "--capacity", "25", "--pooler-url", PoolerUrl]
                    : state == $"active:{Pooler.Status.Port}" ? [] : ["server", "set", "second", "--pooler-url", PoolerUrl];
                if (args.Length > 0)
                {
                    var run = await Fleet.Cli.RunAsync(args);
                    Assert.True(run.ExitCode == 0, run.ToString());
                }
            }
            finally
            {
                _lock.Release();
            }
        }

        /// <summary>The second cluster out of the fleet (every test deletes the tenants it put there).</summary>
        public async Task RemoveSecondAsync()
        {
            await _lock.WaitAsync(Ct);
            try
            {
                if (await Fleet.ScalarAsync<long>(Fleet.MainUrl, "SELECT count(*) FROM tenantrag.servers WHERE id = 'second' AND status <> 'removed'", Catalog) > 0)
                {
                    var run = await Fleet.Cli.RunAsync("server", "remove", "second");
                    Assert.True(run.ExitCode == 0, run.ToString());
                }
            }
            finally
            {
                _lock.Release();
            }
        }
    }
}
