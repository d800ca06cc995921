using System.CommandLine;
using TenantRag.Postgres.Fleet;
using TenantRag.Postgres.Moves;
using TenantRag.Tenancy;

namespace TenantRag.Cli.Commands;

/// <summary><c>tenantrag tenant move &lt;slug&gt; [--to-server &lt;name&gt;] [--mode shared|dedicated] [--resume|--abort]</c>.</summary>
internal static class TenantMoveCommand
{
    public static Command Create()
    {
        var slug = new Argument<string>("slug") { Description = "The tenant to move" };
        var server = new Option<string?>("--to-server") { Description = "The server to move it to (default: the one it is on; 'tenantrag server list')" };
        var mode = new Option<string?>("--mode") { Description = "The model to move it to: shared or dedicated (default: its model)" };
        var resume = new Option<bool>("--resume") { Description = "Continue the tenant's interrupted move" };
        var abort = new Option<bool>("--abort") { Description = "Roll the tenant's interrupted move back (until its switch)" };
        var pause = new Option<string?>("--pause-after")
        {
            Description = "Fault drills: stop after this step (preparing, copying, fenced, switched) and wait to be killed",
            Hidden = true,
        };
        var move = new Command("move", "Move a tenant online to another server or model: it keeps serving; its writes pause about a second") { slug, server, mode, resume, abort, pause };
        move.SetAction(CliContext.Action(cli => MoveAsync(cli, cli.Parse.GetValue(slug), cli.Parse.GetValue(server), cli.Parse.GetValue(mode),
            cli.Parse.GetValue(resume), cli.Parse.GetValue(abort), cli.Parse.GetValue(pause))));
        return move;
    }

    private static async Task<int> MoveAsync(CliContext cli, string? slugText, string? serverText, string? modeText, bool resume, bool abort, string? pauseAfter)
    {
        // Validate before touching the database: bad input changes nothing.
        var slug = TenantSlug.Parse(slugText);
        var server = serverText is null ? null : ServerName.Parse(serverText, "--to-server");
        TenancyMode? mode = modeText is null ? null : TenancyModes.Parse(modeText);
        if (resume && abort)
        {
            throw new UsageException("--resume and --abort cannot go together: resume finishes the move, abort rolls it back");
        }

        if ((resume || abort) && (server is not null || mode is not null))
        {
            throw new UsageException("--resume and --abort take the move as it was started: drop --to-server and --mode");
        }

        if (!resume && !abort && server is null && mode is null)
        {
            throw new UsageException("say where to move it: --to-server <name>, --mode shared|dedicated, or both");
        }

        if (pauseAfter is not null && !MoveSteps.Pausable.Contains(pauseAfter))
        {
            throw new UsageException($"--pause-after must be one of {string.Join(", ", MoveSteps.Pausable)}, not '{UsageException.Echo(pauseAfter)}'");
        }

        await using var host = await cli.StartHostAsync().ConfigureAwait(false);
        var mover = new TenantMover(host.Operator, new ServerFleet(host.Operator, cli.Home))
        {
            AfterStep = async (step, current, ct) =>
            {
                if (!cli.Json)
                {
                    await Console.Error.WriteLineAsync($"move {current.Id}: {StepDone(step)}").ConfigureAwait(false);
                }

                if (step == pauseAfter)
                {
                    Console.WriteLine($"paused after {step}");
                    await Console.Out.FlushAsync(ct).ConfigureAwait(false);
                    await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false);
                }
            },
        };

        if (abort)
        {
            var aborted = await mover.AbortAsync(slug, cli.CancellationToken).ConfigureAwait(false);
            if (cli.Json)
            {
                CliContext.WriteJson(new { move = aborted.Id, tenant = slug.Value, step = aborted.Step, from = Place(aborted.From), to = Place(aborted.To) });
            }
            else
            {
                Console.WriteLine($"aborted the move of tenant {slug}: it is served from {aborted.From} only; the copy at {aborted.To} is removed");
            }

            return 0;
        }

        var report = resume
            ? await mover.ResumeAsync(slug, cli.CancellationToken).ConfigureAwait(false)
            : await mover.MoveAsync(slug, server, mode, cli.CancellationToken).ConfigureAwait(false);
        if (cli.Json)
        {
            CliContext.WriteJson(new
            {
                move = report.Move.Id,
                tenant = slug.Value,
                step = report.Move.Step,
                from = Place(report.Move.From),
                to = Place(report.Move.To),
                copyMs = Millis(report.Copy),
                catchUpMs = Millis(report.CatchUp),
                fenceMs = Millis(report.Fence),
                documents = report.Rows?.Documents,
                chunks = report.Rows?.Chunks,
            });
        }
        else
        {
            Console.WriteLine($"moved tenant {slug} from {report.Move.From} to {report.Move.To}: {report.Rows?.Documents} documents, {report.Rows?.Chunks} chunks");
            Console.WriteLine($"  copy {Text(report.Copy)}, catch-up lag {Text(report.CatchUp)}, writes fenced {Text(report.Fence)} (target: at most 2 s for 10,000 chunks; reads are never fenced)");
        }

        return 0;
    }

    private static string StepDone(string step) => step switch
    {
        MoveSteps.Preparing => "target prepared",
        MoveSteps.Copying => "copied and caught up",
        MoveSteps.Fenced => "writes fenced, the target has every one",
        MoveSteps.Switched => "catalog switched; removing the source",
        _ => step,
    };

    private static object Place(TenantPlace place) => new { server = place.Server, database = place.Database, mode = place.Mode.ToName() };

    private static long? Millis(TimeSpan? span) => span is { } s ? (long)s.TotalMilliseconds : null;

    private static string Text(TimeSpan? span) => span is { } s ? $"{s.TotalMilliseconds:0} ms" : "(done before this run)";
}
