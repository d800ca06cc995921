using System.CommandLine;
using Spectre.Console;
using TenantRag.Postgres;
using TenantRag.Postgres.Audit;
using TenantRag.Postgres.Installation;

namespace TenantRag.Cli.Commands;

/// <summary>
/// <c>tenantrag audit</c>: the isolation linter over the catalog and every tenant database of every server, and the
/// replication objects moves left behind; exit 1 on any finding but a warning.
/// </summary>
internal static class AuditCommand
{
    public static Command Create()
    {
        var audit = new Command("audit", "Check, on every server, that every relation a serving role can reach, in every schema of every TenantRag database, is filtered by the tenant policy, that no serving role can become a privileged role, connect where it does not belong or plant objects, and that no move left a replication slot, publication or subscription behind; exit 1 on any finding but a warning");
        audit.SetAction(CliContext.Action(async cli =>
        {
            await using var host = await cli.StartHostAsync().ConfigureAwait(false);
            var database = host.Operator;
            var findings = await RunAsync(database, cli.Home, cli.Json, cli.CancellationToken).ConfigureAwait(false);
            return Errors(findings) == 0 ? 0 : 1;
        }));
        return audit;
    }

    /// <summary>The findings that are not warnings: any of them fails the audit.</summary>
    internal static int Errors(IReadOnlyList<AuditFinding> findings) => findings.Count(f => f.Severity == AuditSeverity.Error);

    /// <summary>Audits and prints (JSON or text).</summary>
    private static async Task<IReadOnlyList<AuditFinding>> RunAsync(TenantRagDatabase database, TenantRagHome home, bool json, CancellationToken cancellationToken)
    {
        var findings = await new IsolationAuditor(database, home).AuditAsync(cancellationToken).ConfigureAwait(false);
        if (json)
        {
            CliContext.WriteJson(new { findings });
            return findings;
        }

        if (findings.Count == 0)
        {
            AnsiConsole.MarkupLine("[green]audit: no findings[/]: on every server, every relation a serving role can read or write is filtered by the tenant policy; no serving role owns, bypasses or can become anything privileged, or connects outside its own databases; no move left a replication slot, publication or subscription behind.");
            return findings;
        }

        foreach (var f in findings)
        {
            var (color, what) = f.Severity == AuditSeverity.Warning ? ("yellow", "warning: ") : ("red", string.Empty);
            AnsiConsole.MarkupLine($"[{color}]{what}{Markup.Escape(f.Rule)}[/] {Markup.Escape(f.Object)} (server {Markup.Escape(f.Server)})");
            AnsiConsole.MarkupLine($"    {Markup.Escape(f.Message)}");
            AnsiConsole.MarkupLine($"    [grey]fix:[/] {Markup.Escape(f.Fix.Replace("\n", "\n         ", StringComparison.Ordinal))}");
        }

        var errors = Errors(findings);
        var warnings = findings.Count - errors;
        AnsiConsole.MarkupLine(errors == 0
            ? $"[yellow bold]audit: no findings but {warnings} warning(s)[/]: isolation holds and nothing of TenantRag's is left behind; the warnings are about what is not TenantRag's"
            : $"[red bold]audit: {errors} finding(s)[/]{(warnings > 0 ? $" and {warnings} warning(s)" : string.Empty)}");
        return findings;
    }
}
