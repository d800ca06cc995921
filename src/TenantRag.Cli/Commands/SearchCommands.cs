using System.CommandLine;

namespace TenantRag.Cli.Commands;

/// <summary><c>tenantrag search</c> and <c>tenantrag ask</c>.</summary>
internal static class SearchCommands
{
    public static Command CreateSearch()
    {
        var search = new Command("search", "Ranked chunks with scores (not built yet)");
        search.SetAction(CliContext.Action(_ => throw new TenantRagException("search is not built yet (issue 3)")));
        return search;
    }

    public static Command CreateAsk()
    {
        var ask = new Command("ask", "An answer with citations (not built yet)");
        ask.SetAction(CliContext.Action(_ => throw new TenantRagException("ask is not built yet (issue 3)")));
        return ask;
    }
}
