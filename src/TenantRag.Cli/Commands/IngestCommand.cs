using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Spectre.Console;
using TenantRag.Documents;
using TenantRag.Hosting;
using TenantRag.Rag.Ingestion;
using TenantRag.Rag.Ingestion.Extraction;
using TenantRag.Rag.Ingestion.Pipeline;
using TenantRag.Tenancy;

namespace TenantRag.Cli.Commands;

/// <summary><c>tenantrag ingest &lt;tenant&gt; &lt;file-or-dir&gt;... [--user U] [--visibility tenant|private]</c>.</summary>
internal static class IngestCommand
{
    /// <summary>Plain progress lines (no terminal) come at most this often.</summary>
    private static readonly TimeSpan PlainProgressInterval = TimeSpan.FromSeconds(5);

    public static Command Create()
    {
        var tenant = new Argument<string>("tenant") { Description = "The tenant's slug" };
        var paths = new Argument<string[]>("file-or-dir")
        {
            Description = "Files (.txt, .md, .html, .pdf, .jsonl BEIR corpus) or directories (read recursively, hidden files skipped)",
            Arity = ArgumentArity.OneOrMore,
        };
        var user = new Option<string>("--user") { Description = "The user who owns the documents", DefaultValueFactory = _ => "cli" };
        var visibility = new Option<string>("--visibility") { Description = "tenant (every user of the tenant) or private (only --user)", DefaultValueFactory = _ => "tenant" };
        var ingest = new Command("ingest", "Ingest .txt, .md, .html, .pdf and .jsonl files into a tenant; re-ingesting skips unchanged files and replaces changed ones")
        {
            tenant, paths, user, visibility,
        };
        ingest.SetAction(CliContext.Action(cli => RunAsync(
            cli, cli.Parse.GetValue(tenant), cli.Parse.GetValue(paths) ?? [], cli.Parse.GetValue(user), cli.Parse.GetValue(visibility))));
        return ingest;
    }

    private static async Task<int> RunAsync(CliContext cli, string? tenantText, string[] paths, string? userText, string? visibilityText)
    {
        // Validate everything before touching the database or the model: bad usage changes nothing (exit 2).
        var context = TenantContext.For(TenantSlug.Parse(tenantText), UserId.Parse(userText));
        var visibility = DocumentVisibilities.Parse(visibilityText);
        var request = IngestionRequest.FromPaths(context, paths, visibility);

        var limits = TenantRagSettings.Read(cli.Configuration).Ingestion;
        RequireSupportedFile(request, paths, limits);

        // Nothing else runs in this process: uploads embed at normal priority, not on the server's low-priority threads.
        await using var host = await cli.StartHostAsync(setup => setup.ForegroundUploads = true).ConfigureAwait(false);
        // Bound to the tenant as it is now: if it is deleted during the run, the rest of the run stores nothing.
        request = request with { Context = await host.Operator.Sessions.BindAsync(context, cli.CancellationToken).ConfigureAwait(false) };
        var pipeline = host.Get<IngestionPipeline>();

        var interactive = !cli.Json && !Console.IsOutputRedirected && !Console.IsErrorRedirected;
        var summary = interactive
            ? await WithProgressBarAsync(pipeline, request, cli.CancellationToken).ConfigureAwait(false)
            : await WithPlainLinesAsync(pipeline, request, cli.CancellationToken).ConfigureAwait(false);

        if (cli.Json)
        {
            CliContext.WriteJson(ToJson(request, summary));
        }
        else
        {
            PrintSummary(request, summary);
        }

        if (summary.HasServerErrors)
        {
            // Not the files' fault: say so, and that running again is the fix (what was stored is skipped as unchanged).
            var failed = summary.Rejected.Where(r => r.IsServerError).ToList();
            return await cli.WriteErrorAsync(
                $"{failed.Count} document(s) could not be stored ({failed[0].Reason}: {failed[0].Message}); nothing of them was written. Check the database and run the same command again: documents already stored are skipped", 1).ConfigureAwait(false);
        }

        if (summary.HasRejections)
        {
            return await cli.WriteErrorAsync(
                $"{summary.Rejected.Count} file(s) or document(s) were rejected (listed above); the rest was ingested. Fix or remove them and run again", 1).ConfigureAwait(false);
        }

        return 0;
    }

    // An empty directory, or one of images only, is a mistake to say out loud (exit 1), not "ingested 0 files".
    private static void RequireSupportedFile(IngestionRequest request, string[] paths, IngestionOptions limits)
    {
        var supported = DocumentExtractorRegistry.CreateDefault(limits).SupportedExtensions;
        if (!request.Inputs.Any(i => supported.Contains(Path.GetExtension(i.Source), StringComparer.OrdinalIgnoreCase)))
        {
            throw new TenantRagException(
                $"no file to ingest in {string.Join(", ", paths.Select(p => $"'{UsageException.Echo(p)}'"))}: {request.Inputs.Count} file(s) found, none of them {string.Join(", ", supported)} (hidden files are skipped)");
        }
    }

    // The Ingestion settings serve reads, from the same places: environment variables (Ingestion__MaxPagesPerDocument=...)
    // and appsettings.json beside the program. A bad value is a usage error naming the key.
    private static async Task<IngestionSummary> WithProgressBarAsync(IngestionPipeline pipeline, IngestionRequest request, CancellationToken cancellationToken)
    {
        IngestionSummary? summary = null;
        await AnsiConsole.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
            .StartAsync(async progress =>
            {
                var task = progress.AddTask(Markup.Escape($"reading {request.Inputs.Count} files"), maxValue: Math.Max(1, request.Inputs.Count));
                var reporter = new InlineProgress(p =>
                {
                    task.MaxValue = Math.Max(1, p.DocumentsTotal);
                    task.Value = p.DocumentsDone;
                    task.Description = Markup.Escape(Describe(p));
                    if (p.Rejection is { } rejection)
                    {
                        AnsiConsole.MarkupLine($"[red]rejected[/] {Markup.Escape(rejection.ToString())}");
                    }
                });
                summary = await pipeline.IngestAsync(request, reporter, cancellationToken).ConfigureAwait(false);
            }).ConfigureAwait(false);
        return summary!;
    }

    private static async Task<IngestionSummary> WithPlainLinesAsync(IngestionPipeline pipeline, IngestionRequest request, CancellationToken cancellationToken)
    {
        var lastLine = Stopwatch.GetTimestamp();
        var reporter = new InlineProgress(p =>
        {
            if (p.Rejection is { } rejection)
            {
                Console.Error.WriteLine($"rejected {rejection}");
            }

            if (Stopwatch.GetElapsedTime(lastLine) >= PlainProgressInterval)
            {
                lastLine = Stopwatch.GetTimestamp();
                Console.Error.WriteLine($"progress: {Describe(p)}");
            }
        });
        return await pipeline.IngestAsync(request, reporter, cancellationToken).ConfigureAwait(false);
    }

    private static string Describe(IngestionProgress p) => string.Create(CultureInfo.InvariantCulture,
        $"{p.DocumentsDone}/{p.DocumentsTotal} documents, {p.Chunks} chunks, {p.ChunksPerSecond:F1} chunks/s");

    private static void PrintSummary(IngestionRequest request, IngestionSummary s)
    {
        var context = request.Context;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ingested {s.Files} files ({s.Documents} documents) into {context.Tenant} as {context.User} ({request.Visibility.ToName()}): {s.Added} added, {s.Replaced} replaced, {s.Unchanged} unchanged, {s.Rejected.Count} rejected"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{s.Chunks} chunks ({s.ChunksEmbedded} embedded, {s.ChunksReused} reused) with {s.Model} in {s.Elapsed.TotalSeconds:F1} s: {s.ChunksPerSecond:F1} chunks/s"));
        foreach (var issue in s.Issues)
        {
            Console.WriteLine($"skipped in {issue}");
        }

        foreach (var rejection in s.Rejected)
        {
            Console.WriteLine($"rejected {rejection}");
        }
    }

    private static object ToJson(IngestionRequest request, IngestionSummary s) => new
    {
        tenant = request.Context.Tenant.Value,
        user = request.Context.User.Value,
        visibility = request.Visibility.ToName(),
        model = new { name = s.Model.Name, dimensions = s.Model.Dimensions },
        files = s.Files,
        documents = s.Documents,
        added = s.Added,
        replaced = s.Replaced,
        unchanged = s.Unchanged,
        rejected = s.Rejected.Select(r => new { file = r.Source, step = r.Step, reason = r.Reason, message = r.Message }),
        issues = s.Issues.Select(i => new { file = i.Source, issue = i.Issue }),
        chunks = s.Chunks,
        chunksEmbedded = s.ChunksEmbedded,
        chunksReused = s.ChunksReused,
        seconds = Math.Round(s.Elapsed.TotalSeconds, 3),
        chunksPerSecond = Math.Round(s.ChunksPerSecond, 2),
        embeddingSeconds = Math.Round(s.EmbeddingTime.TotalSeconds, 3),
    };

    /// <summary>Calls back on the reporting thread (the pipeline reports in order); <see cref="Progress{T}"/> would reorder.</summary>
    private sealed class InlineProgress(Action<IngestionProgress> report) : IProgress<IngestionProgress>
    {
        public void Report(IngestionProgress value) => report(value);
    }
}
