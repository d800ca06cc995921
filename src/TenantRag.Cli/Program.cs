using Spectre.Console;
using TenantRag.Cli;

// Piped output is read by programs and logs: do not wrap it at 80 columns.
if (Console.IsOutputRedirected)
{
    AnsiConsole.Profile.Width = 240;
}

return await CommandLine.RunAsync(args).ConfigureAwait(false);
