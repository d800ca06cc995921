using System.CommandLine;
using Spectre.Console;
using TenantRag.Documents;
using TenantRag.Postgres;
using TenantRag.Postgres.Audit;
using TenantRag.Postgres.Documents;
using TenantRag.Postgres.Drills;
using TenantRag.Tenancy;

namespace TenantRag.Cli.Commands;

/// <summary>
/// <c>tenantrag demo</c>: the Neon RLS tutorial's story, for real. Tenants acme and initech (shared) and globex
/// (dedicated) write documents, each user's view is printed, then the leak drills run in both models, and a user
/// searches and asks. Exit 1 on any leak.
/// </summary>
internal static partial class DemoCommand
{
    private static readonly string[] DemoTenants = ["acme", "initech", "globex"];

    public static Command Create()
    {
        var demo = new Command("demo", "Run the isolation story and the leak drills in both models (resets tenants acme, initech, globex)");
        demo.SetAction(CliContext.Action(RunAsync));
        return demo;
    }

    private static async Task<int> RunAsync(CliContext cli)
    {
        var ct = cli.CancellationToken;
        var say = cli.Json ? (Action<string>)(_ => { }) : AnsiConsole.MarkupLine;
        await using var host = await cli.StartHostAsync(setup => setup.ForegroundUploads = true).ConfigureAwait(false);
        var database = host.Operator;
        var endpoint = database.Installation.Endpoint;
        say($"[bold]TenantRag isolation demo[/] on PostgreSQL {Markup.Escape($"{endpoint.Host}:{endpoint.Port}")}");

        foreach (var slug in DemoTenants.Select(TenantSlug.Parse))
        {
            if (await database.Catalog.FindAsync(slug, ct).ConfigureAwait(false) is not null)
            {
                await database.Catalog.DeleteAsync(slug, ct).ConfigureAwait(false);
            }
        }

        var acme = await database.Catalog.CreateAsync(TenantSlug.Parse("acme"), TenancyMode.Shared, ct).ConfigureAwait(false);
        var initech = await database.Catalog.CreateAsync(TenantSlug.Parse("initech"), TenancyMode.Shared, ct).ConfigureAwait(false);
        var globex = await database.Catalog.CreateAsync(TenantSlug.Parse("globex"), TenancyMode.Dedicated, ct).ConfigureAwait(false);
        say($"\n[bold]1. Tenants[/]: acme and initech share [blue]{acme.Database}[/] (row-level security); globex has its own database [blue]{globex.Database}[/] and login role.");

        var docs = new Dictionary<string, Guid>();
        async Task WriteAsync(TenantInfo tenant, string user, string title, DocumentVisibility visibility)
        {
            await using var session = await database.Sessions.OpenSessionAsync(TenantContext.For(tenant.Slug, UserId.Parse(user)), ct).ConfigureAwait(false);
            docs[title] = await DocumentStore.AddTextAsync(session, title, $"{title}. Written by {user} of {tenant.Slug}.", visibility, ct).ConfigureAwait(false);
            await session.CommitAsync(ct).ConfigureAwait(false);
        }

        await WriteAsync(acme, "alice", "Acme roadmap 2027", DocumentVisibility.Tenant).ConfigureAwait(false);
        await WriteAsync(acme, "alice", "Alice's salary review", DocumentVisibility.Private).ConfigureAwait(false);
        await WriteAsync(acme, "bob", "Acme onboarding guide", DocumentVisibility.Tenant).ConfigureAwait(false);
        await WriteAsync(acme, "bob", "Bob's interview notes", DocumentVisibility.Private).ConfigureAwait(false);
        await WriteAsync(initech, "dave", "Initech TPS report", DocumentVisibility.Tenant).ConfigureAwait(false);
        await WriteAsync(initech, "dave", "Initech layoff plan", DocumentVisibility.Private).ConfigureAwait(false);
        await WriteAsync(globex, "carol", "Globex employee handbook", DocumentVisibility.Tenant).ConfigureAwait(false);
        await WriteAsync(globex, "carol", "Globex merger memo", DocumentVisibility.Private).ConfigureAwait(false);
        await WriteAsync(globex, "dan", "Dan's draft budget", DocumentVisibility.Private).ConfigureAwait(false);
        say("\n[bold]2. Each user writes documents[/], some for the whole tenant, some private. What each one sees:");

        var views = new List<object>();
        foreach (var (tenant, user) in new[] { (acme, "alice"), (acme, "bob"), (initech, "dave"), (globex, "carol"), (globex, "dan") })
        {
            await using var session = await database.Sessions.OpenSessionAsync(TenantContext.For(tenant.Slug, UserId.Parse(user)), ct).ConfigureAwait(false);
            var visible = await DocumentStore.ListAsync(session, ct).ConfigureAwait(false);
            views.Add(new { tenant = tenant.Slug.Value, user, documents = visible.Select(d => new { d.Title, owner = d.OwnerId, visibility = d.Visibility.ToName() }) });
            say($"   [bold]{user}@{tenant.Slug}[/] sees {visible.Count}: " +
                string.Join(", ", visible.OrderBy(d => d.Title, StringComparer.Ordinal).Select(d => Markup.Escape(d.Title) + (d.Visibility == DocumentVisibility.Private ? " [grey](private)[/]" : string.Empty))));
        }

        var drills = new LeakDrills(database);
        await drills.PlantForeignRowAsync(globex, acme, "alice", ct).ConfigureAwait(false);
        say("\n[bold]3. Leak drills[/]: application bugs run against the real database. A canary row claiming tenant acme was planted in globex's database, as a misrouted write would.");

        var results = new List<DrillResult>();
        results.AddRange(await drills.RunAsync(new DrillSubject
        {
            Tenant = acme,
            User = UserId.Parse("alice"),
            OtherUser = UserId.Parse("bob"),
            OtherUsersPrivateDocument = docs["Bob's interview notes"],
            ForeignTenant = initech,
        }, ct).ConfigureAwait(false));
        results.AddRange(await drills.RunAsync(new DrillSubject
        {
            Tenant = globex,
            User = UserId.Parse("carol"),
            OtherUser = UserId.Parse("dan"),
            OtherUsersPrivateDocument = docs["Dan's draft budget"],
            ForeignTenant = acme,
        }, ct).ConfigureAwait(false));
        results.Add(await drills.RunRlsDisabledAsync(ct).ConfigureAwait(false));

        // The canary has served its purpose; the audit would rightly report a row of acme in globex's database.
        await drills.RemoveForeignRowsAsync(globex, acme, ct).ConfigureAwait(false);

        var failed = results.Count(r => !r.Passed);
        say("\n[bold]4. Audit[/] of every isolation rule in every tenant database:");
        var findings = await new IsolationAuditor(database, cli.Home).AuditAsync(ct).ConfigureAwait(false);
        var errors = AuditCommand.Errors(findings);
        if (cli.Json)
        {
            var ask = await SearchAndAskAsync(host, acme.Slug, say, ct).ConfigureAwait(false);
            CliContext.WriteJson(new { drills = results, views, audit = new { findings }, passed = failed == 0 && errors == 0, ask, postgres = StillRunning(database) });
        }
        else
        {
            foreach (var r in results)
            {
                var verdict = r.Passed ? "[green]PASS[/]" : "[red]FAIL[/]";
                AnsiConsole.MarkupLine($"   {verdict} {r.Model,-9} {r.Name,-24} {Markup.Escape(r.Attempt)}");
                AnsiConsole.MarkupLine($"        [grey]{Markup.Escape(r.Observed)}[/]");
            }

            foreach (var f in findings)
            {
                AnsiConsole.MarkupLine($"   [red]{Markup.Escape(f.Rule)}[/] {Markup.Escape(f.Object)}: {Markup.Escape(f.Message)}");
                AnsiConsole.MarkupLine($"        [grey]fix: {Markup.Escape(f.Fix)}[/]");
            }

            AnsiConsole.MarkupLine(errors == 0 ? "   [green]PASS[/] audit: no findings" : $"   [red]FAIL[/] audit: {errors} finding(s)");
            AnsiConsole.MarkupLine(failed == 0 && errors == 0
                ? $"\n[green bold]{results.Count} drills passed and the audit is clean[/]: PostgreSQL kept the tenants, and the users inside them, apart."
                : $"\n[red bold]{failed} of {results.Count} drills FAILED, {errors} audit finding(s)[/].");
            await SearchAndAskAsync(host, acme.Slug, say, ct).ConfigureAwait(false);
            say($"\n{Markup.Escape(StillRunning(database))}");
        }

        return failed == 0 && errors == 0 ? 0 : 1;
    }
}
