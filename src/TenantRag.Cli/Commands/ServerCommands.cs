using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using TenantRag.Postgres.Cluster;
using TenantRag.Hosting;
using TenantRag.Postgres.Fleet;
using TenantRag.Postgres.Installation;
using TenantRag.Postgres.Pooler;

namespace TenantRag.Cli.Commands;

/// <summary>
/// <c>tenantrag server add|list|set|remove|drain</c>: the servers tenants can live on (issue 14 item 1). No password is
/// ever printed: an added server's is kept in <c>$TENANTRAG_HOME/servers/&lt;name&gt;.json</c> (0600), or read from
/// the environment variable <c>--password-env</c> names.
/// </summary>
internal static class ServerCommands
{
    public static Command Create()
    {
        var server = new Command("server", "The PostgreSQL servers of the fleet (the primary holds the catalog)");
        var name = new Argument<string>("name") { Description = "1-31 characters of a-z, 0-9 and '-', starting with a letter" };
        var url = new Option<string>("--url") { Description = "postgres://user[:password]@host[:port]/database[?sslmode=...] of a role that may create databases and roles", Required = true };
        var capacity = new Option<int?>("--capacity") { Description = "How many tenants the server should hold (default: no limit)" };
        var passwordEnv = new Option<string?>("--password-env") { Description = "The environment variable holding the password (then it is not stored, and the URL carries none)" };
        var poolerUrl = new Option<string?>("--pooler-url") { Description = PoolerUrlHelp };

        var add = new Command("add", "Check a server, install TenantRag's roles, template and shared database on it, and add it") { name, url, capacity, passwordEnv, poolerUrl };
        add.SetAction(CliContext.Action(cli => AddAsync(cli, cli.Parse.GetValue(name), cli.Parse.GetValue(url), cli.Parse.GetValue(capacity), cli.Parse.GetValue(passwordEnv),
            cli.Parse.GetValue(poolerUrl))));
        server.Subcommands.Add(add);

        var setCapacity = new Option<string?>("--capacity") { Description = "How many tenants the server should hold, or none for no limit" };
        var setPooler = new Option<string?>("--pooler-url") { Description = PoolerUrlHelp + ", or none to connect directly" };
        var set = new Command("set", "Change a server's capacity (the primary's too) or pooler") { name, setCapacity, setPooler };
        set.SetAction(CliContext.Action(cli => SetAsync(cli, cli.Parse.GetValue(name), cli.Parse.GetValue(setCapacity), cli.Parse.GetValue(setPooler))));
        server.Subcommands.Add(set);

        var list = new Command("list", "Every server: version, tenants by model, databases, connections, disk, capacity, status");
        list.SetAction(CliContext.Action(ListAsync));
        server.Subcommands.Add(list);

        var remove = new Command("remove", "Mark a server removed (refused while it holds tenants; its databases are left alone)") { name };
        remove.SetAction(CliContext.Action(cli => RemoveAsync(cli, cli.Parse.GetValue(name))));
        server.Subcommands.Add(remove);

        var drain = new Command("drain", "Move every tenant off a server, online, to the servers with the most free capacity; then 'server remove' takes it out") { name };
        drain.SetAction(CliContext.Action(cli => DrainAsync(cli, cli.Parse.GetValue(name))));
        server.Subcommands.Add(drain);
        return server;
    }

    private const string PoolerUrlHelp = "postgres://host:port of a PgBouncer in transaction mode in front of the server's shared database, through which the serving role reaches it";

    private static async Task<int> AddAsync(CliContext cli, string? nameText, string? urlText, int? capacity, string? passwordVariable, string? poolerText)
    {
        // Validate before touching any database: bad input changes nothing.
        var name = ServerName.Parse(nameText, "server");
        var endpoint = ParseUrl(urlText, passwordVariable);
        var pooler = poolerText is null ? null : ParsePooler(cli, poolerText);
        await using var host = await cli.StartHostAsync().ConfigureAwait(false);
        var fleet = new ServerFleet(host.Operator, cli.Home);
        ServerReport report;
        try
        {
            report = await fleet.AddAsync(name, endpoint, capacity, passwordVariable, pooler, cli.CancellationToken).ConfigureAwait(false);
        }
        catch (ServerRequirementsException ex)
        {
            if (cli.Json)
            {
                await Console.Error.WriteLineAsync(JsonSerializer.Serialize(new { error = ex.Message, exitCode = ex.ExitCode, missing = ex.Missing })).ConfigureAwait(false);
                return ex.ExitCode;
            }

            foreach (var line in ex.Missing)
            {
                await Console.Error.WriteLineAsync($"missing: {line}").ConfigureAwait(false);
            }

            throw;
        }

        if (cli.Json)
        {
            CliContext.WriteJson(ToJson(report));
        }
        else
        {
            var kept = passwordVariable is null ? $"password kept in {ServerCredentials.FilePath(cli.Home, name)} (0600)" : $"password read from ${passwordVariable}";
            var through = pooler is null ? string.Empty : $"; shared tenants served through the pooler at {pooler}";
            Console.WriteLine($"added server '{name}' ({report.Server.Host}:{report.Server.Port}, PostgreSQL {report.Version}): roles, template and shared database installed; {kept}{through}");
        }

        return 0;
    }

    private static async Task<int> ListAsync(CliContext cli)
    {
        await using var host = await cli.StartHostAsync().ConfigureAwait(false);
        var reports = await new ServerFleet(host.Operator, cli.Home).ListAsync(cli.CancellationToken).ConfigureAwait(false);
        if (cli.Json)
        {
            CliContext.WriteJson(reports.Select(ToJson));
            return 0;
        }

        foreach (var r in reports)
        {
            var capacity = r.Server.Capacity?.ToString(CultureInfo.InvariantCulture) ?? "unlimited";
            var state = r.Error is not null ? $"unreachable: {r.Error}"
                : r.Version is null ? "not asked"
                : $"PostgreSQL {r.Version}, {r.Databases.Count} databases, {r.Connections} connections, {r.DiskBytes / (1024 * 1024)} MiB";
            var pooler = r.Pooler is null ? string.Empty : $", pooler {r.Pooler}";
            Console.WriteLine($"{r.Server.Name,-16} {r.Server.Status,-8} {r.Server.Host}:{r.Server.Port}  tenants {r.SharedTenants} shared, {r.DedicatedTenants} dedicated (capacity {capacity}{pooler}); {state}");
        }

        return 0;
    }

    private static async Task<int> SetAsync(CliContext cli, string? nameText, string? capacityText, string? poolerText)
    {
        var name = ServerName.Parse(nameText, "server");
        var change = new ServerChange
        {
            ChangesCapacity = capacityText is not null,
            Capacity = capacityText is null ? null : ParseCapacity(capacityText),
            ChangesPooler = poolerText is not null,
            Pooler = poolerText is null ? null : ParsePooler(cli, poolerText),
        };
        await using var host = await cli.StartHostAsync().ConfigureAwait(false);
        var report = await new ServerFleet(host.Operator, cli.Home).SetAsync(name, change, cli.CancellationToken).ConfigureAwait(false);
        if (cli.Json)
        {
            CliContext.WriteJson(ToJson(report));
            return 0;
        }

        var tenants = report.SharedTenants + report.DedicatedTenants;
        var full = report.Server.Capacity is { } c && tenants >= c ? $" (it holds {tenants}: full, so new tenants go to other servers)" : string.Empty;
        var pooler = report.Pooler is null ? "none (the serving role connects directly)" : report.Pooler.Address;
        Console.WriteLine($"server '{name}': capacity {report.Server.Capacity?.ToString(CultureInfo.InvariantCulture) ?? "unlimited"}{full}, pooler {pooler}");
        return 0;
    }

    // A positive number of tenants, or none (no limit).
    private static int? ParseCapacity(string text) =>
        text == "none" ? null
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var capacity) && capacity > 0 ? capacity
        : throw new UsageException($"invalid --capacity '{UsageException.Echo(text)}': give a positive number of tenants, or none for no limit");

    // The pooler of --pooler-url (none: no pooler), checked against the installation's shared database name.
    private static PoolerEndpoint? ParsePooler(CliContext cli, string text) =>
        text == "none" ? null : PoolerEndpoint.Parse(text, "--pooler-url", new InstallationNames(TenantRagSettings.Read(cli.Configuration).Tenancy.Prefix).Shared);

    private static async Task<int> RemoveAsync(CliContext cli, string? nameText)
    {
        var name = ServerName.Parse(nameText, "server");
        await using var host = await cli.StartHostAsync().ConfigureAwait(false);
        await new ServerFleet(host.Operator, cli.Home).RemoveAsync(name, cli.CancellationToken).ConfigureAwait(false);
        if (cli.Json)
        {
            CliContext.WriteJson(new { name, status = "removed", databasesKept = true });
        }
        else
        {
            Console.WriteLine($"server '{name}' is removed from the fleet; its databases and roles were left on it (drop them there if no longer needed)");
        }

        return 0;
    }

    // The URL of --url, never echoed (it can hold a password); the password from the URL or from --password-env, not both.
    private static ServerEndpoint ParseUrl(string? url, string? passwordVariable)
    {
        ServerEndpoint endpoint;
        try
        {
            endpoint = url is { Length: > 0 } && (url.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || url.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
                ? ServerEndpoint.Parse(url)
                : throw new UsageException("--url must be a postgres://user[:password]@host[:port]/database URL");
        }
        catch (ConfigurationException)
        {
            throw new UsageException("--url is not a valid postgres://user[:password]@host[:port]/database[?sslmode=...] URL");
        }

        if (endpoint.Host.Length == 0 || endpoint.BootstrapUsername.Length == 0)
        {
            throw new UsageException("--url needs a user and a host: postgres://user[:password]@host[:port]/database");
        }

        if (passwordVariable is null)
        {
            return endpoint.BootstrapPassword.Length > 0
                ? endpoint
                : throw new UsageException("--url has no password: put it in the URL (it is then kept in a 0600 file) or name an environment variable with --password-env");
        }

        ServerCredentials.EnvironmentReference(passwordVariable);
        if (endpoint.BootstrapPassword.Length > 0)
        {
            throw new UsageException("give the password either in --url or with --password-env, not both");
        }

        return Environment.GetEnvironmentVariable(passwordVariable) is { Length: > 0 } password
            ? endpoint with { BootstrapPassword = password }
            : throw new UsageException($"--password-env {passwordVariable}: that environment variable is not set");
    }

    private static object ToJson(ServerReport r) => new
    {
        name = r.Server.Name,
        host = r.Server.Host,
        port = r.Server.Port,
        status = r.Server.Status,
        capacity = r.Server.Capacity,
        pooler = r.Pooler?.Address,
        version = r.Version,
        tenants = new { shared = r.SharedTenants, dedicated = r.DedicatedTenants },
        databases = r.Databases,
        connections = r.Connections,
        diskBytes = r.DiskBytes,
        credentials = r.Server.Credentials,
        createdAt = r.Server.CreatedAt,
        error = r.Error,
    };

    private static async Task<int> DrainAsync(CliContext cli, string? nameText)
    {
        var name = ServerName.Parse(nameText, "server");
        await using var host = await cli.StartHostAsync().ConfigureAwait(false);
        var mover = new TenantRag.Postgres.Moves.TenantMover(host.Operator, new ServerFleet(host.Operator, cli.Home));
        var reports = await mover.DrainAsync(name, async report =>
        {
            if (!cli.Json)
            {
                await Console.Error.WriteLineAsync($"moved tenant {report.Move.Slug} to {report.Move.To} (writes fenced {report.Fence?.TotalMilliseconds:0} ms)").ConfigureAwait(false);
            }
        }, cli.CancellationToken).ConfigureAwait(false);
        if (cli.Json)
        {
            CliContext.WriteJson(new
            {
                server = name,
                moved = reports.Select(r => new { tenant = r.Move.Slug.Value, to = r.Move.To.Server, mode = TenantRag.Tenancy.TenancyModes.ToName(r.Move.To.Mode), fenceMs = (long?)r.Fence?.TotalMilliseconds }),
            });
        }
        else
        {
            Console.WriteLine($"drained server '{name}': moved {reports.Count} tenant{(reports.Count == 1 ? string.Empty : "s")}; it takes no new tenants ('tenantrag server remove {name}' takes it out)");
        }

        return 0;
    }
}
