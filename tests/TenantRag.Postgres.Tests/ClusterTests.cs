using System.Net;
using System.Net.Sockets;
using Npgsql;
using TenantRag.Postgres.Cluster;
using TenantRag.Postgres.Installation;
using TenantRag.Testing;

namespace TenantRag.Postgres.Tests;

/// <summary>
/// The embedded cluster's start-up and repairs, on a throwaway cluster of its own (not the fixture's).
/// One initdb for the whole class; each test starts from whatever state the previous one left.
/// </summary>
public sealed class ClusterTests(ClusterTests.ThrowawayHome home) : IClassFixture<ClusterTests.ThrowawayHome>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EnsureStartedAsync_Twice_KeepsSameServer()
    {
        var cluster = await home.OpenClusterAsync();
        var first = await cluster.EnsureStartedAsync(Ct);
        var pid = (await cluster.GetStatusAsync(Ct)).Pid;

        var second = await cluster.EnsureStartedAsync(Ct);

        var status = await cluster.GetStatusAsync(Ct);
        Assert.Equal((first.Host, first.Port), (second.Host, second.Port));
        Assert.True(status.Running);
        Assert.NotNull(pid);
        Assert.Equal(pid, status.Pid);
        Assert.Equal(first.Port, status.Port);
        Assert.Empty(cluster.Notices);
        Assert.Equal(1, await PingAsync(second));
    }

    [Fact]
    public async Task StopAsync_ThenStart_ServesAgain()
    {
        var cluster = await home.OpenClusterAsync();
        var before = await cluster.EnsureStartedAsync(Ct);

        var stopped = await cluster.StopAsync(cancellationToken: Ct);
        var statusStopped = await cluster.GetStatusAsync(Ct);
        var stoppedAgain = await cluster.StopAsync(cancellationToken: Ct);
        var after = await cluster.EnsureStartedAsync(Ct);

        Assert.True(stopped);
        Assert.False(statusStopped.Running);
        Assert.True(statusStopped.Initialized);
        Assert.Null(statusStopped.Pid);
        Assert.False(stoppedAgain);
        Assert.Equal(before.Port, after.Port);
        Assert.Empty(cluster.Notices);
        Assert.Equal(1, await PingAsync(after));
    }

    [Fact]
    public async Task EnsureStartedAsync_StalePidFile_RecoversWithNotice()
    {
        var cluster = await home.OpenClusterAsync();
        await cluster.EnsureStartedAsync(Ct);
        await cluster.StopAsync(immediate: true, Ct);
        var pidFile = Path.Combine(home.Home.DataDirectory, "postmaster.pid");
        await File.WriteAllTextAsync(pidFile, $"999999\n{home.Home.DataDirectory}\n1700000000\n5432\n\n127.0.0.1\n  5432001         0\nready   \n", Ct);
        var restarted = await home.OpenClusterAsync();

        var endpoint = await restarted.EnsureStartedAsync(Ct);

        var notice = Assert.Single(restarted.Notices);
        Assert.Contains("stale postmaster.pid", notice, StringComparison.Ordinal);
        Assert.Equal(1, await PingAsync(endpoint));
        Assert.NotEqual(999999, (await restarted.GetStatusAsync(Ct)).Pid);
    }

    [Fact]
    public async Task EnsureStartedAsync_PortTaken_MovesToFreePortWithNotice()
    {
        var cluster = await home.OpenClusterAsync();
        var before = await cluster.EnsureStartedAsync(Ct);
        await cluster.StopAsync(cancellationToken: Ct);
        using var squatter = new TcpListener(IPAddress.Loopback, before.Port);
        squatter.Start();
        var restarted = await home.OpenClusterAsync();

        var after = await restarted.EnsureStartedAsync(Ct);

        squatter.Stop();
        Assert.NotEqual(before.Port, after.Port);
        var notice = Assert.Single(restarted.Notices);
        Assert.Contains($"port {before.Port} is taken", notice, StringComparison.Ordinal);
        Assert.Contains($"now uses port {after.Port}", notice, StringComparison.Ordinal);
        Assert.Equal(after.Port, (await restarted.GetStatusAsync(Ct)).Port);
        Assert.Equal(1, await PingAsync(after));
    }

    // The attack: postgres.log was world-readable and quoted failing statements, with whatever data they held.
    [Fact]
    public async Task ServerLog_IsOwnerOnlyAndQuotesNoFailingStatement()
    {
        var cluster = await home.OpenClusterAsync();
        var endpoint = await cluster.EnsureStartedAsync(Ct);
        File.SetUnixFileMode(home.Home.LogFile, File.GetUnixFileMode(home.Home.LogFile) | UnixFileMode.OtherRead); // as an earlier version left it
        await cluster.StopAsync(cancellationToken: Ct);
        endpoint = await cluster.EnsureStartedAsync(Ct);
        const string secret = "salary-of-bob-91000";

        var builder = endpoint.BootstrapConnectionString();
        builder.Pooling = false;
        await using (var connection = new NpgsqlConnection(builder.ConnectionString))
        {
            await connection.OpenAsync(Ct);
            await using var cmd = new NpgsqlCommand($"SELECT '{secret}'::integer", connection);
            await Assert.ThrowsAsync<PostgresException>(() => cmd.ExecuteScalarAsync(Ct));
        }

        await cluster.StopAsync(cancellationToken: Ct); // the server has written everything it will write about it
        await cluster.EnsureStartedAsync(Ct);
        var log = await File.ReadAllTextAsync(home.Home.LogFile, Ct);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(home.Home.LogFile));
        Assert.Contains("invalid input syntax for type integer", log, StringComparison.Ordinal);
        Assert.DoesNotContain("STATEMENT:", log, StringComparison.Ordinal);
        Assert.DoesNotContain("SELECT '", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EnsureStartedAsync_DataFromOtherMajorVersion_RefusesNamingBoth()
    {
        var root = Path.Combine(Path.GetTempPath(), "tenantrag-test-old-" + Slugs.RandomLetters(8));
        try
        {
            var oldHome = new TenantRagHome(root);
            var cluster = await ThrowawayHome.OpenClusterAsync(oldHome);
            var otherVersion = cluster.Binaries.MajorVersion == 14 ? 13 : 14;
            Directory.CreateDirectory(oldHome.DataDirectory);
            await File.WriteAllTextAsync(Path.Combine(oldHome.DataDirectory, "PG_VERSION"), $"{otherVersion}\n", Ct);

            var ex = await Assert.ThrowsAsync<TenantRagException>(() => cluster.EnsureStartedAsync(Ct));

            Assert.Equal(1, ex.ExitCode);
            Assert.Contains($"PostgreSQL {otherVersion}", ex.Message, StringComparison.Ordinal);
            Assert.Contains($"PostgreSQL {cluster.Binaries.MajorVersion}", ex.Message, StringComparison.Ordinal);
            Assert.Contains(oldHome.DataDirectory, ex.Message, StringComparison.Ordinal);
            Assert.Equal(["PG_VERSION"], Directory.GetFileSystemEntries(oldHome.DataDirectory).Select(Path.GetFileName));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task<int> PingAsync(ServerEndpoint endpoint)
    {
        var builder = endpoint.BootstrapConnectionString();
        builder.Pooling = false;
        builder.ApplicationName = "tenantrag-tests";
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var cmd = new NpgsqlCommand("SELECT 1", connection);
        return (int)(await cmd.ExecuteScalarAsync(Ct))!;
    }

    /// <summary>A home of the class's own, under /tmp so the 'postgres' system user can reach it; stopped and deleted at the end.</summary>
    public sealed class ThrowawayHome : IAsyncDisposable
    {
        public TenantRagHome Home { get; } = new(Path.Combine(Path.GetTempPath(), "tenantrag-test-cluster-" + Slugs.RandomLetters(8)));

        public Task<EmbeddedCluster> OpenClusterAsync() => OpenClusterAsync(Home);

        /// <summary>Opens a cluster under <paramref name="home"/>; skips when an external test server is used and this machine has no initdb.</summary>
        public static async Task<EmbeddedCluster> OpenClusterAsync(TenantRagHome home)
        {
            try
            {
                return await EmbeddedCluster.OpenAsync(home, Secrets.LoadOrCreate(home), new EmbeddedClusterOptions { Durable = false }, Ct);
            }
            catch (TenantRagException ex) when (Environment.GetEnvironmentVariable(PostgresServer.ExternalServerVariable) is { Length: > 0 })
            {
                Assert.Skip($"{PostgresServer.ExternalServerVariable} is set and this machine cannot run an embedded cluster: {ex.Message}");
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                if (Directory.Exists(Home.Root))
                {
                    var cluster = await EmbeddedCluster.OpenAsync(Home, Secrets.LoadOrCreate(Home), new EmbeddedClusterOptions { Durable = false });
                    await cluster.StopAsync(immediate: true);
                }
            }
            finally
            {
                if (Directory.Exists(Home.Root))
                {
                    Directory.Delete(Home.Root, recursive: true);
                }
            }
        }
    }
}
