using System.Text.Json;
using Npgsql;
using TenantRag.Postgres.Installation;
using TenantRag.Testing;

namespace TenantRag.Postgres.Tests;

/// <summary>
/// <c>tenantrag db start --pooler</c> on an embedded cluster of the test's own (not the suite's server): a PgBouncer in
/// transaction mode in front of it that later commands serve shared tenants through, shown by <c>db status</c> and
/// stopped by <c>db stop</c>.
/// </summary>
[Collection(TenantCommandTests.CommandLineCollection)]
public sealed class DbPoolerCommandTests(PostgresServer server) : IAsyncLifetime
{
    // No TENANTRAG_DATABASE_URL: the command line uses the embedded cluster under its home.
    private static readonly Dictionary<string, string> Embedded = new() { ["TENANTRAG_DATABASE_URL"] = "" };

    private readonly CliRunner _cli = TenantRagCli.For(server);

    public ValueTask InitializeAsync()
    {
        if (!File.Exists("/usr/sbin/pgbouncer") && !File.Exists("/usr/bin/pgbouncer"))
        {
            // .ci/run installs it; a machine without it cannot run this test, and says so rather than passing.
            Assert.Fail("pgbouncer is not installed (apt-get install pgbouncer; .ci/run does)");
        }

        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _cli.RunAsync(Embedded, "db", "stop");
        _cli.Dispose();
    }

    [Fact]
    public async Task DbStartPooler_LaterCommandsServeSharedTenantsThroughIt_DbStopStopsIt()
    {
        var started = await _cli.RunAsync(Embedded, "db", "start", "--pooler", "--json");
        Assert.True(started.ExitCode == 0, started.ToString());
        Assert.Matches(@"^127\.0\.0\.1:\d+$", started.Json().GetProperty("pooler").GetString());

        var status = (await _cli.RunAsync(Embedded, "db", "status", "--json")).Json();
        Assert.True(status.GetProperty("pooler").GetProperty("running").GetBoolean());

        var file = Path.Combine(_cli.Home, "pooled.md");
        await File.WriteAllTextAsync(file, "# Pooled\n\nThe pooled tenant keeps its invoices in the blue binder.\n", TestContext.Current.CancellationToken);
        Assert.Equal(0, (await _cli.RunAsync(Embedded, "tenant", "create", "pooled", "--mode", "shared")).ExitCode);
        var ingest = await _cli.RunAsync(Embedded, "ingest", "pooled", file);
        var search = await _cli.RunAsync(Embedded, "search", "pooled", "where are the invoices", "--json");
        Assert.True(ingest.ExitCode == 0, ingest.ToString());
        Assert.True(search.ExitCode == 0, search.ToString());
        Assert.NotEmpty(search.Json().GetProperty("results").EnumerateArray());

        // The commands have exited, yet the serving role's connections to the shared database are still open on the
        // server: PgBouncer holds them in its pool. Direct connections would have closed with each command.
        var port = status.GetProperty("port").GetInt32();
        Assert.True(await ServingConnectionsAsync(port) > 0, "no serving connection outlived the commands: the shared database was not reached through the pooler");

        var stopped = await _cli.RunAsync(Embedded, "db", "stop");
        Assert.True(stopped.ExitCode == 0, stopped.ToString());
        var after = (await _cli.RunAsync(Embedded, "db", "status", "--json")).Json();
        Assert.False(after.GetProperty("running").GetBoolean());
        Assert.False(after.GetProperty("pooler").ValueKind == JsonValueKind.Object && after.GetProperty("pooler").GetProperty("running").GetBoolean());
    }

    [Fact]
    public async Task OpenAsync_HomeWithARecordedPooler_ServesThroughItAndLeavesTheCallersOptionsAlone()
    {
        Assert.True(string.IsNullOrEmpty(Environment.GetEnvironmentVariable("TENANTRAG_DATABASE_URL")),
            "TENANTRAG_DATABASE_URL is set in the test process: OpenAsync(home) would open that server instead of the embedded cluster");
        var started = await _cli.RunAsync(Embedded, "db", "start", "--pooler", "--json");
        Assert.True(started.ExitCode == 0, started.ToString());
        var pooler = started.Json().GetProperty("pooler").GetString();
        var options = new TenancyOptions { SharedMaxPoolSize = 3 };

        await using (var database = await TenantRagDatabase.OpenAsync(new TenantRagHome(_cli.Home), options, cancellationToken: TestContext.Current.CancellationToken))
        {
            Assert.Equal(pooler, database.Installation.Options.PoolerUrl);
            Assert.Equal(3, database.Installation.Options.SharedMaxPoolSize);
        }

        // The caller's settings are its own: another installation opened with them must not inherit this one's pooler.
        Assert.Null(options.PoolerUrl);
    }

    private async Task<long> ServingConnectionsAsync(int port)
    {
        var secrets = Secrets.LoadOrCreate(new TenantRagHome(_cli.Home));
        var builder = new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = port, Username = "postgres", Password = secrets.SuperuserPassword, Database = "postgres", Pooling = false };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var cmd = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE usename = 'tenantrag_app' AND datname = 'tenantrag_shared'", connection);
        return (long)(await cmd.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }
}
