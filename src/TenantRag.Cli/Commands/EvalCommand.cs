using System.CommandLine;

namespace TenantRag.Cli.Commands;

/// <summary><c>tenantrag eval</c> on a BEIR-format set.</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var eval = new Command("eval", "Retrieval quality on a BEIR-format set (not built yet)");
        eval.SetAction(CliContext.Action(_ => throw new TenantRagException("eval is not built yet (issue 3)")));
        return eval;
    }
}
