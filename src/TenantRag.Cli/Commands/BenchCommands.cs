using System.CommandLine;

namespace TenantRag.Cli.Commands;

internal static class BenchCommands
{
    public static Command Create()
    {
        var bench = new Command("bench", "Benchmarks that print figures");
        return bench;
    }
}
