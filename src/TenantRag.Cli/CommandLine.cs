using System.CommandLine;
using TenantRag.Cli.Commands;
using TenantRag.Lab;

namespace TenantRag.Cli;

/// <summary>The <c>tenantrag</c> command tree (docs/DESIGN.md §7). Exit codes: 0 success, 1 failure, 2 bad usage.</summary>
internal static class CommandLine
{
    public static async Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("TenantRag: private retrieval-augmented assistants per tenant, isolated by PostgreSQL.");
        root.Options.Add(CliContext.JsonOption);
        root.Subcommands.Add(DbCommands.Create());
        root.Subcommands.Add(TenantCommands.Create());
        root.Subcommands.Add(ServerCommands.Create());
        root.Subcommands.Add(IngestCommand.Create());
        root.Subcommands.Add(DocumentCommands.Create());
        root.Subcommands.Add(JobCommands.Create());
        root.Subcommands.Add(SearchCommands.CreateSearch());
        root.Subcommands.Add(SearchCommands.CreateAsk());
        root.Subcommands.Add(ReembedCommand.Create());
        root.Subcommands.Add(UsageCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(MigrateCommand.Create());
        root.Subcommands.Add(AuditCommand.Create());
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(TokenCommand.Create());
        root.Subcommands.Add(BenchCommands.Create(BenchEntry.Action));

        // No response files: an argument starting with '@' (a user id, a file name) is itself, never a file to read.
        var parse = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parse.Errors.Count > 0)
        {
            var messages = ParseErrors.Describe(parse);
            if (parse.GetValue(CliContext.JsonOption))
            {
                return await CliContext.WriteErrorAsync(json: true, string.Join("; ", messages) + "; run 'tenantrag --help' for usage", 2).ConfigureAwait(false);
            }

            foreach (var message in messages)
            {
                await CliContext.WriteErrorAsync(json: false, message, 2).ConfigureAwait(false);
            }

            await Console.Error.WriteLineAsync("run 'tenantrag --help' for usage").ConfigureAwait(false);
            return 2;
        }

        return await parse.InvokeAsync().ConfigureAwait(false);
    }
}
