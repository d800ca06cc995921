using System.CommandLine;
using TenantRag.Postgres.Cluster;
using TenantRag.Postgres.Installation;

namespace TenantRag.Cli.Commands;

/// <summary><c>tenantrag db start|stop|status</c>: the embedded PostgreSQL.</summary>
internal static class DbCommands
{
    public static Command Create()
    {
        var db = new Command("db", "The embedded PostgreSQL under $TENANTRAG_HOME (or the server of TENANTRAG_DATABASE_URL)");

        var pooler = new Option<bool>("--pooler") { Description = "Also start a PgBouncer in transaction mode in front of it ($TENANTRAG_HOME/pgbouncer/); later commands serve shared tenants through it" };
        // --name: another embedded cluster under $TENANTRAG_HOME/clusters/<n>/, for a fleet on one machine (NamedClusterCommands).
        var name = new Option<string?>("--name") { Description = "A named embedded cluster (another server for 'tenantrag server add'), not the default one" };
        var showPassword = new Option<bool>("--show-password") { Description = "With --name: print the URL with its password" };
        var start = new Command("start", "Initialise (first time), start, bootstrap and migrate") { pooler, name, showPassword };
        start.SetAction(CliContext.Action(cli => cli.Parse.GetValue(name) is { } n
            ? cli.Parse.GetValue(pooler) ? throw new UsageException("--pooler goes with the default cluster, not --name") : NamedClusterCommands.StartAsync(cli, n, cli.Parse.GetValue(showPassword))
            : cli.Parse.GetValue(showPassword) ? throw new UsageException("--show-password goes with --name") : StartAsync(cli, cli.Parse.GetValue(pooler))));
        db.Subcommands.Add(start);

        var stop = new Command("stop", "Stop the embedded PostgreSQL (fast shutdown)");
        stop.Options.Add(name);
        stop.SetAction(CliContext.Action(cli => cli.Parse.GetValue(name) is { } n ? NamedClusterCommands.StopAsync(cli, n) : StopAsync(cli)));
        db.Subcommands.Add(stop);

        var status = new Command("status", "Is it running, and where");
        status.SetAction(CliContext.Action(StatusAsync));
        db.Subcommands.Add(status);
        return db;
    }

    private static async Task<int> StartAsync(CliContext cli, bool pooler)
    {
        if (pooler)
        {
            await DbPooler.StartAsync(cli).ConfigureAwait(false);
        }

        await using var host = await cli.StartHostAsync().ConfigureAwait(false);
        var database = host.Operator;
        var endpoint = database.Installation.Endpoint;
        if (cli.Json)
        {
            CliContext.WriteJson(new { running = true, host = endpoint.Host, port = endpoint.Port, external = !endpoint.IsEmbedded, pooler = database.Installation.Options.PoolerUrl, notices = database.Notices });
        }
        else
        {
            Console.WriteLine(endpoint.IsEmbedded
                ? $"PostgreSQL is running on {endpoint.Host}:{endpoint.Port} (data: {cli.Home.DataDirectory}); schema is current"
                : $"using the external server {endpoint.Host}:{endpoint.Port} (TENANTRAG_DATABASE_URL); schema is current");
            if (database.Installation.Options.PoolerUrl is { } poolerUrl)
            {
                Console.WriteLine($"shared tenants are served through the PgBouncer on {poolerUrl} (transaction mode)");
            }
        }

        return 0;
    }

    private static async Task<int> StopAsync(CliContext cli)
    {
        if (CliContext.IsExternal)
        {
            throw new TenantRagException("TENANTRAG_DATABASE_URL is set: that server is not started by tenantrag, so it does not stop it");
        }

        var cluster = await EmbeddedCluster.OpenAsync(cli.Home, Secrets.LoadOrCreate(cli.Home), cancellationToken: cli.CancellationToken).ConfigureAwait(false);
        var poolerStopped = await DbPooler.StopAsync(cli).ConfigureAwait(false);
        var stopped = await cluster.StopAsync(cancellationToken: cli.CancellationToken).ConfigureAwait(false);
        if (cli.Json)
        {
            CliContext.WriteJson(new { stopped, poolerStopped, running = false });
        }
        else
        {
            Console.WriteLine(stopped ? "PostgreSQL stopped" : "PostgreSQL was not running");
            if (poolerStopped)
            {
                Console.WriteLine("PgBouncer stopped");
            }
        }

        return 0;
    }

    private static async Task<int> StatusAsync(CliContext cli)
    {
        if (CliContext.IsExternal)
        {
            var endpoint = ServerEndpoint.Parse(Environment.GetEnvironmentVariable("TENANTRAG_DATABASE_URL")!);
            if (cli.Json)
            {
                CliContext.WriteJson(new { running = (bool?)null, external = true, host = endpoint.Host, port = endpoint.Port, dataDirectory = (string?)null, clusters = await NamedClusterCommands.DescribeAllAsync(cli).ConfigureAwait(false) });
            }
            else
            {
                Console.WriteLine($"external server {endpoint.Host}:{endpoint.Port} (TENANTRAG_DATABASE_URL); not managed by tenantrag");
                await WriteNamedAsync(cli).ConfigureAwait(false);
            }

            return 0;
        }

        var secrets = Secrets.LoadOrCreate(cli.Home);
        var cluster = await EmbeddedCluster.OpenAsync(cli.Home, secrets, cancellationToken: cli.CancellationToken).ConfigureAwait(false);
        var status = await cluster.GetStatusAsync(cli.CancellationToken).ConfigureAwait(false);
        var admin = status.Initialized ? cluster.Endpoint(status.Port).BootstrapConnectionString().ConnectionString : null;
        var pooler = DbPooler.Status(cli);
        if (cli.Json)
        {
            CliContext.WriteJson(new
            {
                running = status.Running,
                initialized = status.Initialized,
                external = false,
                host = status.Host,
                port = status.Port,
                dataDirectory = status.DataDirectory,
                pid = status.Pid,
                postgresVersion = status.MajorVersion,
                adminConnectionString = admin,
                pooler = pooler is null ? null : new { running = pooler.Running, host = pooler.Host, port = pooler.Port, pid = pooler.Pid },
                clusters = (object[])[NamedClusterCommands.Describe("default", status), .. await NamedClusterCommands.DescribeAllAsync(cli).ConfigureAwait(false)],
            });

            return 0;
        }
        else if (!status.Initialized)
        {
            Console.WriteLine($"no cluster yet under {status.DataDirectory}: 'tenantrag db start' makes one");
        }
        else
        {
            Console.WriteLine(status.Running
                ? $"running: PostgreSQL {status.MajorVersion} on {status.Host}:{status.Port}, pid {status.Pid}, data {status.DataDirectory}"
                : $"stopped: PostgreSQL {status.MajorVersion}, port {status.Port}, data {status.DataDirectory} ('tenantrag db start' starts it)");
            if (pooler is not null)
            {
                Console.WriteLine(pooler.Running ? $"PgBouncer (transaction mode) on {pooler.Address}, pid {pooler.Pid}" : $"PgBouncer stopped, port {pooler.Port} (the next command starts it)");
            }
        }

        await WriteNamedAsync(cli).ConfigureAwait(false);
        return 0;
    }

    private static async Task WriteNamedAsync(CliContext cli)
    {
        foreach (var (name, status) in await NamedClusterCommands.ListAsync(cli).ConfigureAwait(false))
        {
            Console.WriteLine($"cluster '{name}': {(status.Running ? "running" : "stopped")}, port {status.Port}, data {status.DataDirectory}");
        }
    }
}
