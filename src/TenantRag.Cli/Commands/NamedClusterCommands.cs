using TenantRag.Postgres.Cluster;
using TenantRag.Postgres.Fleet;
using TenantRag.Postgres.Installation;

namespace TenantRag.Cli.Commands;

/// <summary>
/// <c>tenantrag db start|stop --name &lt;n&gt;</c> and the named clusters in <c>db status</c>: more embedded clusters
/// under <c>$TENANTRAG_HOME/clusters/&lt;n&gt;/</c>, to try a fleet of servers on one machine. Each has its own data
/// directory, port, log and superuser password, the default cluster's hardening, and <c>wal_level = logical</c>.
/// A named cluster is a bare server: <c>tenantrag server add</c> installs TenantRag on it.
/// </summary>
internal static class NamedClusterCommands
{
    public static async Task<int> StartAsync(CliContext cli, string name, bool showPassword)
    {
        var home = cli.Home.Cluster(ServerName.Parse(name, "cluster"));
        cli.Home.EnsureExists();
        var secrets = Secrets.LoadOrCreate(home);
        var cluster = await OpenAsync(home, secrets, cli).ConfigureAwait(false);
        var endpoint = await cluster.EnsureStartedAsync(cli.CancellationToken).ConfigureAwait(false);
        foreach (var notice in cluster.Notices)
        {
            await Console.Error.WriteLineAsync($"note: {notice}").ConfigureAwait(false);
        }

        var url = Url(endpoint, showPassword);
        if (cli.Json)
        {
            CliContext.WriteJson(new { name, running = true, url, host = endpoint.Host, port = endpoint.Port, dataDirectory = home.DataDirectory, credentialsFile = home.SecretsFile });
        }
        else
        {
            Console.WriteLine($"cluster '{name}' is running: {url}");
            if (!showPassword)
            {
                Console.WriteLine($"its password is 'superuserPassword' in {home.SecretsFile} (or run again with --show-password)");
            }
        }

        return 0;
    }

    public static async Task<int> StopAsync(CliContext cli, string name)
    {
        var home = cli.Home.Cluster(ServerName.Parse(name, "cluster"));
        if (!File.Exists(home.SecretsFile))
        {
            throw new TenantRagException($"there is no cluster '{name}' under {cli.Home.ClustersDirectory}: 'tenantrag db status' lists them");
        }

        var cluster = await OpenAsync(home, Secrets.LoadOrCreate(home), cli).ConfigureAwait(false);
        var stopped = await cluster.StopAsync(cancellationToken: cli.CancellationToken).ConfigureAwait(false);
        if (cli.Json)
        {
            CliContext.WriteJson(new { name, stopped, running = false });
        }
        else
        {
            Console.WriteLine(stopped ? $"cluster '{name}' stopped" : $"cluster '{name}' was not running");
        }

        return 0;
    }

    /// <summary>Every named cluster under the home, in name order, with its state.</summary>
    public static async Task<IReadOnlyList<(string Name, ClusterStatus Status)>> ListAsync(CliContext cli)
    {
        var clusters = new List<(string Name, ClusterStatus Status)>();
        if (!Directory.Exists(cli.Home.ClustersDirectory))
        {
            return clusters;
        }

        foreach (var directory in Directory.EnumerateDirectories(cli.Home.ClustersDirectory).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(directory);
            var home = cli.Home.Cluster(name);
            if (!File.Exists(home.SecretsFile))
            {
                continue;
            }

            var cluster = await OpenAsync(home, Secrets.LoadOrCreate(home), cli).ConfigureAwait(false);
            var status = await cluster.GetStatusAsync(cli.CancellationToken).ConfigureAwait(false);
            clusters.Add((name, status));
        }

        return clusters;
    }

    /// <summary>Every named cluster as <c>db status --json</c> lists them.</summary>
    public static async Task<IEnumerable<object>> DescribeAllAsync(CliContext cli) =>
        (await ListAsync(cli).ConfigureAwait(false)).Select(c => Describe(c.Name, c.Status));

    /// <summary>One cluster as <c>db status --json</c> lists it.</summary>
    public static object Describe(string name, ClusterStatus status) =>
        new { name, running = status.Running, initialized = status.Initialized, host = status.Host, port = status.Port, dataDirectory = status.DataDirectory, pid = status.Pid };

    private static Task<EmbeddedCluster> OpenAsync(TenantRagHome home, Secrets secrets, CliContext cli) =>
        EmbeddedCluster.OpenAsync(home, secrets, new EmbeddedClusterOptions { LogicalReplication = true }, cli.CancellationToken);

    // The superuser's URL, for 'tenantrag server add --url'; the password only when asked for.
    private static string Url(ServerEndpoint endpoint, bool showPassword)
    {
        var password = showPassword ? ":" + Uri.EscapeDataString(endpoint.BootstrapPassword) : string.Empty;
        return $"postgres://{endpoint.BootstrapUsername}{password}@{endpoint.Host}:{endpoint.Port}/{endpoint.BootstrapDatabase}";
    }
}
