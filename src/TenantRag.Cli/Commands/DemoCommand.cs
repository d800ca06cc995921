using System.CommandLine;

namespace TenantRag.Cli.Commands;

internal static class DemoCommand
{
    public static Command Create()
    {
        var demo = new Command("demo", "Run the isolation story and the leak drills in both models");
        demo.SetAction(CliContext.Action(_ => Task.FromResult(0)));
        return demo;
    }
}
