using System.Collections.Concurrent;
using System.CommandLine;
using System.Diagnostics;
using Npgsql;
using TenantRag.Postgres;
using TenantRag.Postgres.Cluster;
using TenantRag.Postgres.Installation;
using TenantRag.Postgres.Pooler;
using TenantRag.Tenancy;

namespace TenantRag.Lab;

/// <summary>
/// <c>tenantrag bench pooler</c>: server connections of the serving role while N shared tenants are active at once,
/// served by P serving processes (each with its own shared pool, as <c>serve</c> has), straight to PostgreSQL and
/// through a PgBouncer in transaction mode. A throwaway cluster of its own, so max_connections fits the direct run.
/// </summary>
internal static class BenchPoolerCommand
{
    private const int PoolerSize = 20;

    public static Command Create(BenchAction action)
    {
        var tenants = new Option<int>("--tenants") { Description = "Active shared tenants, one concurrent client each", DefaultValueFactory = _ => 1000 };
        var processes = new Option<int>("--processes") { Description = "Serving processes the clients are spread over (each its own shared pool)", DefaultValueFactory = _ => 50 };
        var seconds = new Option<int>("--seconds") { Description = "Seconds of load per run", DefaultValueFactory = _ => 15 };
        var command = new Command("pooler", $"Server connections for N active shared tenants over P serving processes, direct and through PgBouncer (transaction mode, pool {PoolerSize}), on a throwaway cluster; pg_stat_activity counts, requests/s, p50/p99") { tenants, processes, seconds };
        command.SetAction(action(cli => RunAsync(cli, cli.Parse.GetValue(tenants), cli.Parse.GetValue(processes), cli.Parse.GetValue(seconds))));
        return command;
    }

    private static async Task<int> RunAsync(BenchContext cli, int tenantCount, int processCount, int seconds)
    {
        BenchServer.CheckRange("--tenants", tenantCount, 1, 5000);
        BenchServer.CheckRange("--processes", processCount, 1, 200);
        BenchServer.CheckRange("--seconds", seconds, 1, 600);
        var ct = cli.CancellationToken;
        var options = new TenancyOptions();
        var home = new TenantRagHome(Path.Combine(Path.GetTempPath(), "tenantrag-bench-pooler-" + Environment.ProcessId));
        home.EnsureExists();
        var secrets = Secrets.LoadOrCreate(home);
        var cluster = await EmbeddedCluster.OpenAsync(home, secrets,
            new EmbeddedClusterOptions { Durable = false, MaxConnections = processCount * options.SharedMaxPoolSize + 50 }, ct).ConfigureAwait(false);
        var pooler = PgBouncer.In(Path.Combine(home.Root, "pgbouncer"));
        try
        {
            var endpoint = await cluster.EnsureStartedAsync(ct).ConfigureAwait(false);
            var status = await pooler.EnsureStartedAsync(new PgBouncerSettings
            {
                ServerHost = endpoint.Host,
                ServerPort = endpoint.Port,
                Users = new Dictionary<string, string>(StringComparer.Ordinal) { [new InstallationNames(options.Prefix).AppRole] = secrets.AppPassword },
                DefaultPoolSize = PoolerSize,
            }, ct).ConfigureAwait(false);

            List<TenantInfo> tenants;
            await using (var setup = await TenantRagDatabase.OpenAsync(endpoint, secrets, options, cancellationToken: ct).ConfigureAwait(false))
            {
                tenants = new List<TenantInfo>(tenantCount);
                await BenchCommands.AnsiConsoleProgressAsync(cli, $"creating {tenantCount} shared tenants", tenantCount, async tick =>
                {
                    for (var i = 0; i < tenantCount; i++)
                    {
                        tenants.Add(await setup.Catalog.CreateAsync(TenantSlug.Parse($"pool-{i:D5}"), TenancyMode.Shared, ct).ConfigureAwait(false));
                        tick();
                    }
                }).ConfigureAwait(false);
            }

            var runs = new List<PoolerRun>();
            foreach (var poolerUrl in new[] { null, status.Address })
            {
                var run = await LoadAsync(endpoint, secrets, poolerUrl, tenants, processCount, TimeSpan.FromSeconds(seconds), ct).ConfigureAwait(false);
                runs.Add(run);
                if (!cli.Json)
                {
                    Console.WriteLine($"{run.Path,-8} {run.Tenants} tenants over {run.Processes} processes: peak {run.PeakServerConnections} server connections of the serving role " +
                        $"(PostgreSQL max_connections {run.MaxConnections}), {run.RequestsPerSecond} requests/s, p50 {run.P50Ms} ms, p99 {run.P99Ms} ms, {run.Errors} errors");
                }
            }

            if (cli.Json)
            {
                cli.WriteJson(new { poolerPoolSize = PoolerSize, runs });
            }

            return runs.Any(r => r.Errors > 0) ? 1 : 0;
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await pooler.StopAsync(CancellationToken.None).ConfigureAwait(false);
            await cluster.StopAsync(immediate: true, CancellationToken.None).ConfigureAwait(false);
            Directory.Delete(home.Root, recursive: true);
        }
    }

    // P serving processes (each a TenantRagDatabase with its own pools), N clients looping one short tenant transaction
    // each (open a tenant session, read, commit, 20 ms think time), while pg_stat_activity is sampled every 100 ms.
    private static async Task<PoolerRun> LoadAsync(ServerEndpoint endpoint, Secrets secrets, string? poolerUrl, List<TenantInfo> tenants, int processCount, TimeSpan duration, CancellationToken ct)
    {
        var processes = new List<TenantRagDatabase>(processCount);
        var latencies = new ConcurrentBag<double>();
        var errors = 0;
        try
        {
            for (var p = 0; p < processCount; p++)
            {
                processes.Add(await TenantRagDatabase.OpenAsync(endpoint, secrets, new TenancyOptions { PoolerUrl = poolerUrl }, cancellationToken: ct).ConfigureAwait(false));
            }

            var names = processes[0].Installation.Names;
            await using var monitor = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(endpoint.BootstrapConnectionString().ConnectionString) { ApplicationName = "tenantrag-bench", MaxPoolSize = 1 }.ConnectionString);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            stop.CancelAfter(duration);
            var peak = 0L;
            var sampler = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    await using var cmd = monitor.CreateCommand("SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND usename = $2");
                    cmd.Parameters.Add(new() { Value = names.Shared });
                    cmd.Parameters.Add(new() { Value = names.AppRole });
                    peak = Math.Max(peak, (long)(await cmd.ExecuteScalarAsync(CancellationToken.None).ConfigureAwait(false))!);
                    await Task.Delay(100, CancellationToken.None).ConfigureAwait(false);
                }
            }, CancellationToken.None);

            var clients = tenants.Select((tenant, i) => Task.Run(async () =>
            {
                var database = processes[i % processes.Count];
                var context = TenantContext.For(tenant.Slug, UserId.Parse("bench"));
                while (!stop.IsCancellationRequested)
                {
                    var watch = Stopwatch.StartNew();
                    try
                    {
                        await using var session = await database.Sessions.OpenSessionAsync(context, CancellationToken.None).ConfigureAwait(false);
                        await using var cmd = session.CreateCommand("SELECT count(*) FROM public.documents");
                        await cmd.ExecuteScalarAsync(CancellationToken.None).ConfigureAwait(false);
                        await session.CommitAsync(CancellationToken.None).ConfigureAwait(false);
                        latencies.Add(watch.Elapsed.TotalMilliseconds);
                    }
                    catch (NpgsqlException)
                    {
                        Interlocked.Increment(ref errors);
                    }

                    await Task.Delay(20, CancellationToken.None).ConfigureAwait(false);
                }
            }, CancellationToken.None)).ToList();
            await Task.WhenAll(clients).ConfigureAwait(false);
            await sampler.ConfigureAwait(false);

            await using var maxCmd = monitor.CreateCommand("SELECT setting::int FROM pg_settings WHERE name = 'max_connections'");
            var maxConnections = (int)(await maxCmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
            var sorted = latencies.Order().ToList();
            return new PoolerRun
            {
                Path = poolerUrl is null ? "direct" : "pooler",
                Tenants = tenants.Count,
                Processes = processCount,
                PeakServerConnections = peak,
                MaxConnections = maxConnections,
                RequestsPerSecond = Math.Round(sorted.Count / duration.TotalSeconds),
                P50Ms = Math.Round(BenchApiLoad.Percentile(sorted, 0.50), 2),
                P99Ms = Math.Round(BenchApiLoad.Percentile(sorted, 0.99), 2),
                Errors = errors,
            };
        }
        finally
        {
            foreach (var process in processes)
            {
                await process.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private sealed record PoolerRun
    {
        public required string Path { get; init; }
        public required int Tenants { get; init; }
        public required int Processes { get; init; }
        public required long PeakServerConnections { get; init; }
        public required int MaxConnections { get; init; }
        public required double RequestsPerSecond { get; init; }
        public required double P50Ms { get; init; }
        public required double P99Ms { get; init; }
        public required int Errors { get; init; }
    }
}
