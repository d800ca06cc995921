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

        // --name: another embedded cluster under $TENANTRAG_HOME/clusters/<n>/, for a fleet on one machine (NamedClusterCommands).
        var name = new Option<string?>("--name") { Description = "A named embedded cluster (another server for 'tenantrag server add'), not the default one" };
        var showPassword = new Option<bool>("--show-password") { Description = "With --name: print the URL with its password" };
        var start = new Command("start", "Initialise (first time), start, bootstrap and migrate");
        start.Options.Add(name);
        start.Options.Add(showPassword);
        start.SetAction(CliContext.Action(cli => cli.Parse.GetValue(name) is { } n
            ? NamedClusterCommands.StartAsync(cli, n, cli.Parse.GetValue(showPassword))
            : cli.Parse.GetValue(showPassword) ? throw new UsageException("--show-password goes with --name") : StartAsync(cli)));
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

    private static async Task<int> StartAsync(CliContext cli)
    {
        await using var host = await cli.StartHostAsync().ConfigureAwait(false);
        var database = host.Operator;
        var endpoint = database.Installation.Endpoint;
        if (cli.Json)
        {
            CliContext.WriteJson(new { running = true, host = endpoint.Host, port = endpoint.Port, external = !endpoint.IsEmbedded, notices = database.Notices });
        }
        else
        {
            Console.WriteLine(endpoint.IsEmbedded
                ? $"PostgreSQL is running on {endpoint.Host}:{endpoint.Port} (data: {cli.Home.DataDirectory}); schema is current"
                : $"using the external server {endpoint.Host}:{endpoint.Port} (TENANTRAG_DATABASE_URL); schema is current");
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
        var stopped = await cluster.StopAsync(cancellationToken: cli.CancellationToken).ConfigureAwait(false);
        if (cli.Json)
        {
            CliContext.WriteJson(new { stopped, running = false });
        }
        else
        {
            Console.WriteLine(stopped ? "PostgreSQL stopped" : "PostgreSQL was not running");
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
