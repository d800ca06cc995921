using System.CommandLine;
using Spectre.Console;
using TenantRag.Postgres;
using TenantRag.Postgres.Audit;

namespace TenantRag.Cli.Commands;

/// <summary><c>tenantrag audit</c>: the isolation linter over the catalog and every tenant database; exit 1 on any finding.</summary>
internal static class AuditCommand
{
    public static Command Create()
    {
        var audit = new Command("audit", "Check that every relation a serving role can reach, in every schema of every TenantRag database, is filtered by the tenant policy, and that no serving role can become a privileged role, connect where it does not belong or plant objects; exit 1 on any finding");
        audit.SetAction(CliContext.Action(async cli =>
        {
            await using var host = await cli.StartHostAsync().ConfigureAwait(false);
            var database = host.Operator;
            var findings = await RunAsync(database, cli.Json, cli.CancellationToken).ConfigureAwait(false);
            return findings.Count == 0 ? 0 : 1;
        }));
        return audit;
    }

    /// <summary>Audits and prints (JSON or text); also used at the end of the demo.</summary>
    internal static async Task<IReadOnlyList<AuditFinding>> RunAsync(TenantRagDatabase database, bool json, CancellationToken cancellationToken)
    {
        var findings = await new IsolationAuditor(database).AuditAsync(cancellationToken).ConfigureAwait(false);
        if (json)
        {
            CliContext.WriteJson(new { findings });
            return findings;
        }

        if (findings.Count == 0)
        {
            AnsiConsole.MarkupLine("[green]audit: no findings[/]: every relation a serving role can read or write is filtered by the tenant policy; no serving role owns, bypasses or can become anything privileged, or connects outside its own databases.");
            return findings;
        }

        foreach (var f in findings)
        {
            AnsiConsole.MarkupLine($"[red]{Markup.Escape(f.Rule)}[/] {Markup.Escape(f.Object)}");
            AnsiConsole.MarkupLine($"    {Markup.Escape(f.Message)}");
            AnsiConsole.MarkupLine($"    [grey]fix:[/] {Markup.Escape(f.Fix)}");
        }

        AnsiConsole.MarkupLine($"[red bold]audit: {findings.Count} finding(s)[/]");
        return findings;
    }
}
