using System.CommandLine;

namespace TenantRag.Cli.Commands;

/// <summary><c>tenantrag ingest &lt;tenant&gt; &lt;file-or-dir&gt;... [--user U] [--visibility tenant|private]</c>.</summary>
internal static class IngestCommand
{
    public static Command Create()
    {
        var ingest = new Command("ingest", "Ingest .txt, .md, .html, .pdf and .jsonl files into a tenant (not built yet)");
        ingest.SetAction(CliContext.Action(_ => throw new TenantRagException("ingest is not built yet (issue 3)")));
        return ingest;
    }
}
