using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using TenantRag.Documents;
using TenantRag.Jobs;
using TenantRag.Postgres.Jobs;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Postgres.Tests;

/// <summary>
/// Moves interrupted for real (issue 14 item 3): the mover killed with SIGKILL after each step, and a server stopped
/// with <c>pg_ctl stop -m immediate</c>. Afterwards the tenant is served from exactly one place, <c>--resume</c> finishes
/// the move or <c>--abort</c> rolls it back, and no slot, publication or subscription is left behind.
/// </summary>
public sealed class MoveDrillTests(ServerCommandTests.Fleet fleet) : IClassFixture<ServerCommandTests.Fleet>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("preparing", "--resume")]
    [InlineData("preparing", "--abort")]
    [InlineData("copying", "--resume")]
    [InlineData("copying", "--abort")]
    [InlineData("fenced", "--resume")]
    [InlineData("fenced", "--abort")]
    [InlineData("switched", "--resume")]
    public async Task Mover_KilledAfterAStep_IsResumedOrRolledBackWithNothingLostOrLeftBehind(string step, string then)
    {
        await fleet.EnsureSecondAddedAsync();
        var moves = new FleetMoves(fleet);
        var slug = await moves.CreateAsync("shared", "primary");
        await fleet.IngestAsync(slug, "walrus.md", "# Walrus ledger\n\nThe walrus ledger lists every tusk.\n");

        await KillMoverAfterAsync(step, "tenant", "move", slug, "--to-server", "second", "--mode", "dedicated");

        // Killed: served from exactly one place, the one the catalog names; reads work. Deleting waits for the move.
        var during = await moves.PlaceAsync(slug);
        Assert.Equal(step == "switched" ? ("second", "dedicated") : ("primary", "shared"), (during.Server, during.Mode));
        Assert.Contains("Walrus", (await fleet.Cli.RunAsync("search", slug, "walrus ledger", "--user", "alice")).StdOut, StringComparison.Ordinal);
        var delete = await fleet.Cli.RunAsync("tenant", "delete", slug, "--yes");
        Assert.True(delete.ExitCode == 1, delete.ToString());
        Assert.Contains("is being moved", delete.StdErr, StringComparison.Ordinal);
        var restart = await fleet.Cli.RunAsync("tenant", "move", slug, "--mode", during.Mode == "shared" ? "dedicated" : "shared");
        Assert.True(restart.ExitCode == 1 && restart.StdErr.Contains("has a move in progress", StringComparison.Ordinal), restart.ToString());

        var finish = await fleet.Cli.RunAsync("tenant", "move", slug, then);
        Assert.True(finish.ExitCode == 0, finish.ToString());
        fleet.AssertNoPassword(finish);

        var place = await moves.PlaceAsync(slug);
        Assert.Equal(then == "--resume" ? ("second", "dedicated") : ("primary", "shared"), (place.Server, place.Mode));
        Assert.Equal(["Walrus ledger"], await moves.TitlesAsync(place, slug));
        await moves.AssertServedFromOnlyAsync(slug, place);
        await moves.AssertNoReplicationObjectsAsync();

        // The tenant takes writes where it lives (not fenced anywhere).
        await fleet.IngestAsync(slug, "okapi.md", "# Okapi ledger\n\nThe okapi ledger lists every stripe.\n");
        Assert.Equal(["Okapi ledger", "Walrus ledger"], await moves.TitlesAsync(place, slug));
        await moves.DeleteAsync(slug);
    }

    [Fact]
    public async Task Abort_AfterTheSwitch_IsRefusedAndResumeFinishes()
    {
        await fleet.EnsureSecondAddedAsync();
        var moves = new FleetMoves(fleet);
        var slug = await moves.CreateAsync("dedicated", "second");
        await fleet.IngestAsync(slug, "walrus.md", "# Walrus ledger\n\nThe walrus ledger lists every tusk.\n");
        await KillMoverAfterAsync("switched", "tenant", "move", slug, "--to-server", "primary", "--mode", "shared");

        var abort = await fleet.Cli.RunAsync("tenant", "move", slug, "--abort");
        Assert.True(abort.ExitCode == 1, abort.ToString());
        Assert.Contains("past its switch", abort.StdErr, StringComparison.Ordinal);

        var resume = await fleet.Cli.RunAsync("tenant", "move", slug, "--resume");
        Assert.True(resume.ExitCode == 0, resume.ToString());
        var place = await moves.PlaceAsync(slug);
        Assert.Equal(("primary", "shared"), (place.Server, place.Mode));
        await moves.AssertServedFromOnlyAsync(slug, place);
        await moves.AssertNoReplicationObjectsAsync();
        await moves.DeleteAsync(slug);
    }

    [Theory]
    [InlineData("copying", "second")]
    [InlineData("fenced", "primary")]
    public async Task Server_StoppedImmediatelyDuringAMove_MoveFailsThenResumesOnceItIsBack(string step, string stopped)
    {
        await fleet.EnsureSecondAddedAsync();
        var moves = new FleetMoves(fleet);
        var slug = await moves.CreateAsync("shared", "primary");
        await fleet.IngestAsync(slug, "walrus.md", "# Walrus ledger\n\nThe walrus ledger lists every tusk.\n");
        await KillMoverAfterAsync(step, "tenant", "move", slug, "--to-server", "second");

        var cluster = stopped == "primary" ? "main" : "second";
        await StopImmediatelyAsync(cluster);
        try
        {
            var failed = await fleet.Cli.RunAsync("tenant", "move", slug, "--resume");
            Assert.True(failed.ExitCode != 0, failed.ToString());
            fleet.AssertNoPassword(failed);
        }
        finally
        {
            var started = await fleet.Boot.RunAsync("db", "start", "--name", cluster);
            Assert.True(started.ExitCode == 0, started.ToString());
        }

        var resume = await fleet.Cli.RunAsync("tenant", "move", slug, "--resume");
        Assert.True(resume.ExitCode == 0, resume.ToString());
        var place = await moves.PlaceAsync(slug);
        Assert.Equal(("second", "shared"), (place.Server, place.Mode));
        Assert.Equal(["Walrus ledger"], await moves.TitlesAsync(place, slug));
        await moves.AssertServedFromOnlyAsync(slug, place);
        await moves.AssertNoReplicationObjectsAsync();
        await fleet.IngestAsync(slug, "okapi.md", "# Okapi ledger\n\nThe okapi ledger lists every stripe.\n");
        Assert.Equal(["Okapi ledger", "Walrus ledger"], await moves.TitlesAsync(place, slug));
        await moves.DeleteAsync(slug);
    }

    [Theory]
    [InlineData("shared")]
    [InlineData("dedicated")]
    public async Task Writes_WhileAFenceIsHeld_Answer503WithRetryAfterAndChangeNothingWhileReadsGoOn(string mode)
    {
        await fleet.EnsureSecondAddedAsync();
        var moves = new FleetMoves(fleet);
        var slug = await moves.CreateAsync(mode, "primary");
        await using var serve = await fleet.Cli.StartAsync(new Dictionary<string, string>(), "serve", "--dev-auth", "--urls", "http://127.0.0.1:0");
        using var http = await FleetMoves.SignInAsync(serve, slug, "alice");
        var seed = await http.SendAsync(FleetMoves.Upload("Walrus ledger", "The walrus ledger lists every tusk.", wait: true), Ct);
        Assert.Equal(HttpStatusCode.Created, seed.StatusCode);
        var seedId = (await seed.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(Ct)).GetProperty("documentIds")[0].GetGuid();

        // The mover dies holding the fence (after the target has every write, before the switch): a stalled move.
        await KillMoverAfterAsync("fenced", "tenant", "move", slug, "--to-server", "second");

        var upload = await http.SendAsync(FleetMoves.Upload("Okapi ledger", "The okapi ledger lists every stripe.", wait: false), Ct);
        var delete = await http.DeleteAsync($"/v1/documents/{seedId}", Ct);
        var search = await http.PostAsJsonAsync("/v1/search", new { query = "walrus ledger", k = 3 }, Ct);
        var listed = await http.GetAsync("/v1/documents", Ct);

        foreach (var refused in new[] { upload, delete })
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.NotNull(refused.Headers.RetryAfter);
            Assert.Contains("being moved", await refused.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.OK, search.StatusCode);
        Assert.Contains("Walrus ledger", await search.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        Assert.Equal(["Walrus ledger"], await moves.TitlesAsync(await moves.PlaceAsync(slug), slug));

        var resume = await fleet.Cli.RunAsync("tenant", "move", slug, "--resume");
        Assert.True(resume.ExitCode == 0, resume.ToString());
        var after = await http.SendAsync(FleetMoves.Upload("Okapi ledger", "The okapi ledger lists every stripe.", wait: true), Ct);
        Assert.Equal(HttpStatusCode.Created, after.StatusCode);
        var place = await moves.PlaceAsync(slug);
        Assert.Equal(("second", mode), (place.Server, place.Mode));
        Assert.Equal(["Okapi ledger", "Walrus ledger"], await moves.TitlesAsync(place, slug));
        await serve.StopAsync();
        await moves.DeleteAsync(slug);
    }

    [Fact]
    public async Task ClaimedJob_WhoseTenantMovesMidWay_IsFinishedWhereTheTenantNowLives()
    {
        await using var held = await ClaimedJobAsync();

        // The tenant moves while the worker holds its job: the job's row moves with it, same id and attempt.
        var move = await fleet.Cli.RunAsync("tenant", "move", held.Slug, "--to-server", "second", "--mode", "dedicated");
        Assert.True(move.ExitCode == 0, move.ToString());

        Assert.True(await held.Database.JobQueue.ReportAsync(held.Claimed, "embedding", 1, 1, TimeSpan.FromMinutes(10), Ct));
        Assert.True(await held.Database.JobQueue.CompleteAsync(held.Claimed, [], "{}", 1, Ct));
        await AssertFinishedOnceOnSecondAsync(held);
    }

    [Fact]
    public async Task ClaimedJob_FinishingWhileItsTenantIsFenced_WaitsForTheSwitchAndFinishesWhereTheTenantNowLives()
    {
        await using var held = await ClaimedJobAsync();

        // The mover stops holding the fence (the target has every write, the catalog still names the source): the
        // worker's last write is refused at the source, and the job's end waits for the switch instead of its lease.
        await KillMoverAfterAsync("fenced", "tenant", "move", held.Slug, "--to-server", "second", "--mode", "dedicated");
        var completing = held.Database.JobQueue.CompleteAsync(held.Claimed, [], "{}", 1, Ct);
        var resume = await fleet.Cli.RunAsync("tenant", "move", held.Slug, "--resume");
        Assert.True(resume.ExitCode == 0, resume.ToString());

        Assert.True(await completing.WaitAsync(TimeSpan.FromSeconds(60), Ct));
        await AssertFinishedOnceOnSecondAsync(held);
    }

    // An upload job of a new shared tenant on the primary server, claimed by a worker of this test with a long lease.
    private async Task<HeldJob> ClaimedJobAsync()
    {
        await fleet.EnsureSecondAddedAsync();
        var moves = new FleetMoves(fleet);
        var slug = await moves.CreateAsync("shared", "primary");
        var database = await TenantRagDatabase.OpenAsync(Cluster.ServerEndpoint.Parse(fleet.MainUrl),
            Installation.Secrets.LoadOrCreate(new Installation.TenantRagHome(fleet.Cli.Home)), cancellationToken: Ct);
        var context = new TenantContext { Tenant = TenantSlug.Parse(slug), User = UserId.Parse("alice") };
        var text = "# Walrus ledger\n\nThe walrus ledger lists every tusk.\n"u8.ToArray();
        var created = await database.Jobs.CreateAsync(context, new NewIngestJob
        {
            FileName = "walrus.md", Source = "walrus.md", MediaType = "text/markdown", Visibility = DocumentVisibility.Tenant, ByteSize = text.Length,
        }, new MemoryStream(text), Ct);
        var tenant = await database.Sessions.ResolveAsync(context.Tenant, Ct);
        var claimed = await database.JobQueue.TryClaimAsync(tenant, "drill-worker", TimeSpan.FromMinutes(10), Ct);
        Assert.NotNull(claimed);
        return new HeldJob(moves, slug, database, created.Id, claimed);
    }

    // Succeeded on the second server by the attempt that claimed it (not taken up again), its upload gone, and the
    // tenant served from there alone; then deleted.
    private async Task AssertFinishedOnceOnSecondAsync(HeldJob held)
    {
        var place = await held.Moves.PlaceAsync(held.Slug);
        Assert.Equal("second", place.Server);
        Assert.Equal("succeeded", await fleet.ScalarAsync<string>(fleet.SecondUrl, "SELECT status FROM public.ingest_jobs WHERE id = $1", place.Database, held.JobId));
        Assert.Equal(1, await fleet.ScalarAsync<int>(fleet.SecondUrl, "SELECT attempt FROM public.ingest_jobs WHERE id = $1", place.Database, held.JobId));
        Assert.Equal(0L, await fleet.ScalarAsync<long>(fleet.SecondUrl, "SELECT count(*) FROM public.ingest_job_parts WHERE job_id = $1", place.Database, held.JobId));
        await held.Moves.AssertServedFromOnlyAsync(held.Slug, place);
        await held.Moves.DeleteAsync(held.Slug);
    }

    private sealed record HeldJob(FleetMoves Moves, string Slug, TenantRagDatabase Database, Guid JobId, IngestJobQueue.ClaimedJob Claimed) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Database.DisposeAsync();
    }

    // Starts 'tenant move <args> --pause-after <step>', waits until it says it paused there, and kills it (SIGKILL).
    private async Task KillMoverAfterAsync(string step, params string[] args)
    {
        await using var mover = await fleet.Cli.StartAsync(new Dictionary<string, string>(), [.. args, "--pause-after", step]);
        await mover.WaitForLineAsync(l => l == $"paused after {step}");
        await mover.KillAsync();
    }

    // pg_ctl stop -m immediate, as the postgres user: no shutdown checkpoint, like a crash.
    private async Task StopImmediatelyAsync(string cluster)
    {
        var data = Path.Combine(fleet.Boot.Home, "clusters", cluster, "pgdata");
        using var stop = Process.Start(new ProcessStartInfo("runuser", ["-u", "postgres", "--", "/usr/lib/postgresql/15/bin/pg_ctl", "stop", "-D", data, "-m", "immediate", "-w"])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        await stop.WaitForExitAsync(Ct);
        Assert.True(stop.ExitCode == 0, await stop.StandardError.ReadToEndAsync(Ct));
    }
}
