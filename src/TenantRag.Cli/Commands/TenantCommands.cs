using System.CommandLine;
using TenantRag.Postgres.Fleet;
using TenantRag.Tenancy;

namespace TenantRag.Cli.Commands;

/// <summary><c>tenantrag tenant create|list|show|delete|move|set</c>.</summary>
internal static class TenantCommands
{
    public static Command Create()
    {
        var tenant = new Command("tenant", "Tenant lifecycle");
        var slug = new Argument<string>("slug") { Description = "3-40 characters of a-z, 0-9 and '-', starting with a letter" };
        var mode = new Option<string>("--mode") { Description = "shared (row-level security in one database) or dedicated (a database of its own)", DefaultValueFactory = _ => "shared" };

        var server = new Option<string?>("--server") { Description = "The server of the fleet to create it on (default: the active server with the most free capacity; 'tenantrag server list')" };
        var create = new Command("create", "Create a tenant") { slug, mode, server };
        create.SetAction(CliContext.Action(cli => CreateAsync(cli, cli.Parse.GetValue(slug), cli.Parse.GetValue(mode), cli.Parse.GetValue(server))));
        tenant.Subcommands.Add(create);

        var list = new Command("list", "List tenants");
        list.SetAction(CliContext.Action(ListAsync));
        tenant.Subcommands.Add(list);

        var show = new Command("show", "Show one tenant") { slug };
        show.SetAction(CliContext.Action(cli => ShowAsync(cli, cli.Parse.GetValue(slug))));
        tenant.Subcommands.Add(show);

        var yes = new Option<bool>("--yes", "-y") { Description = "Delete without asking (needed where there is no terminal to ask on)" };
        var delete = new Command("delete", "Delete a tenant: every row (shared) or its database and role (dedicated); asks first on a terminal") { slug, yes };
        delete.SetAction(CliContext.Action(cli => DeleteAsync(cli, cli.Parse.GetValue(slug), cli.Parse.GetValue(yes))));
        tenant.Subcommands.Add(delete);
        tenant.Subcommands.Add(TenantMoveCommand.Create());
        tenant.Subcommands.Add(TenantSetCommand.Create());
        return tenant;
    }

    internal static object ToJson(TenantInfo t) => new
    {
        slug = t.Slug.Value,
        id = t.Id,
        mode = t.Mode.ToName(),
        database = t.Database,
        server = t.Server,
        status = t.Status,
        createdAt = t.CreatedAt,
        lastActiveAt = t.LastActiveAt,
        quotas = TenantSetCommand.ToJson(t.Quotas),
    };

    private static async Task<int> CreateAsync(CliContext cli, string? slugText, string? modeText, string? serverText)
    {
        // Validate before touching the database: bad input changes nothing.
        var slug = TenantSlug.Parse(slugText);
        var mode = TenancyModes.Parse(modeText);
        var server = serverText is null ? null : ServerName.Parse(serverText, "server");
        await using var host = await cli.StartHostAsync().ConfigureAwait(false);
        var database = host.Operator;
        var tenant = await database.Catalog.CreateAsync(slug, mode, server, cli.CancellationToken).ConfigureAwait(false);
        if (cli.Json)
        {
            CliContext.WriteJson(ToJson(tenant));
        }
        else
        {
            Console.WriteLine($"created tenant {tenant.Slug} ({tenant.Mode.ToName()}, database {tenant.Database} on server {tenant.Server})");
        }

        return 0;
    }

    private static async Task<int> ListAsync(CliContext cli)
    {
        await using var host = await cli.StartHostAsync().ConfigureAwait(false);
        var database = host.Operator;
        var tenants = await database.Catalog.ListAsync(cli.CancellationToken).ConfigureAwait(false);
        var holdings = await TenantActivity.ReadAsync(database, tenants, cli.CancellationToken).ConfigureAwait(false);
        var now = DateTimeOffset.UtcNow;
        if (cli.Json)
        {
            CliContext.WriteJson(new { tenants = tenants.Select(t => TenantActivity.WithActivity(ToJson(t), t, holdings, now)) });
            return 0;
        }

        if (tenants.Count == 0)
        {
            Console.WriteLine("no tenants yet: 'tenantrag tenant create <slug> --mode shared|dedicated'");
            return 0;
        }

        Console.WriteLine($"{"SLUG",-40} {"MODE",-10} {"STATUS",-12} {"SERVER",-12} {"DATABASE",-40} {"CREATED",-20} {"LAST ACTIVE",-12} {"CACHE",9} {"CONNS",5}");
        foreach (var t in tenants)
        {
            var held = holdings.GetValueOrDefault(t.Id);
            Console.WriteLine($"{t.Slug.Value,-40} {t.Mode.ToName(),-10} {t.Status,-12} {t.Server,-12} {t.Database,-40} {t.CreatedAt:u} "
                + $"{TenantActivity.Ago(t.LastActiveAt, now),-12} {TenantActivity.Size(held.CacheBytes),9} {held.Connections,5}");
        }

        return 0;
    }

    private static async Task<int> ShowAsync(CliContext cli, string? slugText)
    {
        var slug = TenantSlug.Parse(slugText);
        await using var host = await cli.StartHostAsync().ConfigureAwait(false);
        var database = host.Operator;
        var tenant = await database.Catalog.FindAsync(slug, cli.CancellationToken).ConfigureAwait(false) ?? throw new TenantNotFoundException(slug);
        var holdings = await TenantActivity.ReadAsync(database, [tenant], cli.CancellationToken).ConfigureAwait(false);
        var now = DateTimeOffset.UtcNow;
        if (cli.Json)
        {
            CliContext.WriteJson(TenantActivity.WithActivity(ToJson(tenant), tenant, holdings, now));
        }
        else
        {
            Console.WriteLine($"slug:        {tenant.Slug}");
            Console.WriteLine($"id:          {tenant.Id}");
            Console.WriteLine($"mode:        {tenant.Mode.ToName()}");
            Console.WriteLine($"database:    {tenant.Database}");
            Console.WriteLine($"server:      {tenant.Server}");
            Console.WriteLine($"status:      {tenant.Status}");
            Console.WriteLine($"created:     {tenant.CreatedAt:u}");
            foreach (var line in TenantActivity.Lines(tenant, holdings.GetValueOrDefault(tenant.Id), now))
            {
                Console.WriteLine(line);
            }

            TenantSetCommand.Print(tenant.Quotas);
        }

        return 0;
    }

    private static async Task<int> DeleteAsync(CliContext cli, string? slugText, bool yes)
    {
        var slug = TenantSlug.Parse(slugText);
        CliContext.RequireConsent(yes);
        await using var host = await cli.StartHostAsync().ConfigureAwait(false);
        var database = host.Operator;
        if (!yes)
        {
            var tenant = await database.Catalog.FindAsync(slug, cli.CancellationToken).ConfigureAwait(false) ?? throw new TenantNotFoundException(slug);
            var what = tenant.Mode == TenancyMode.Dedicated ? $"its database {tenant.Database} and role" : "every document of it";
            if (!await cli.ConfirmAsync($"delete tenant {slug} ({tenant.Mode.ToName()}) and {what}? This cannot be undone.").ConfigureAwait(false))
            {
                return 1;
            }
        }

        var deletion = await database.Catalog.DeleteAsync(slug, cli.CancellationToken).ConfigureAwait(false);
        if (cli.Json)
        {
            CliContext.WriteJson(new
            {
                deleted = ToJson(deletion.Tenant),
                documents = deletion.Documents,
                chunks = deletion.Chunks,
                droppedDatabase = deletion.DroppedDatabase,
                droppedRole = deletion.DroppedRole,
            });
        }
        else
        {
            var dropped = deletion.DroppedDatabase is null ? string.Empty : $"; dropped database {deletion.DroppedDatabase} and role {deletion.DroppedRole}";
            Console.WriteLine($"deleted tenant {slug} ({deletion.Tenant.Mode.ToName()}): removed {deletion.Documents} documents and {deletion.Chunks} chunks{dropped}");
        }

        return 0;
    }
}
