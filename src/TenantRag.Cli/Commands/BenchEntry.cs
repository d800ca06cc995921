using System.CommandLine;
using TenantRag.Lab;

namespace TenantRag.Cli.Commands;

/// <summary>
/// <c>tenantrag bench ...</c> is the lab's (bench/TenantRag.Lab): its commands run like every other command here, in
/// <see cref="CliContext.Action"/>, and see the command line through a <see cref="BenchContext"/>.
/// </summary>
internal static class BenchEntry
{
    public static Func<ParseResult, CancellationToken, Task<int>> Action(Func<BenchContext, Task<int>> body) =>
        CliContext.Action(cli => body(new BenchContext(cli.Parse, cli.Json, cli.Home, CliContext.IsExternal,
            options => cli.OpenDatabaseAsync(options), value => CliContext.WriteJson(value), cli.CancellationToken)));
}
