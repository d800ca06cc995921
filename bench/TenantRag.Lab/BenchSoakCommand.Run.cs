using System.Diagnostics;

namespace TenantRag.Lab;

/// <summary>The timed load and the final verification of <c>bench soak</c>.</summary>
internal static partial class BenchSoakCommand
{
    private static readonly int[] OkOnly = [200];
    private static readonly int[] MissingOnly = [404];

    /// <summary>
    /// Runs the workers until the time is up (requests in flight finish), takes the memory baseline after warm-up, and
    /// prints a progress line every so often.
    /// </summary>
    private static async Task<BenchSoakRun> RunWorkersAsync(BenchContext cli, BenchSoakWorkload workload, BenchSoakLedger ledger, BenchSoakChecks checks,
        BenchSoakCounts counts, BenchSoakMemory memory, List<BenchSoakCaller> callers, Settings settings, CancellationToken ct)
    {
        var duration = TimeSpan.FromSeconds(settings.Seconds);
        var warmUp = TimeSpan.FromTicks(Math.Min(MaxWarmUp.Ticks, duration.Ticks / 5));
        var started = Stopwatch.GetTimestamp();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        stop.CancelAfter(duration);
        var tasks = Enumerable.Range(0, settings.Workers).Select(w => Task.Run(async () =>
        {
            var random = new Random(Seed + w);
            while (!stop.IsCancellationRequested)
            {
                var caller = callers[random.Next(callers.Count)];
                var live = ledger.LiveCount(caller.Tenant);
                var roll = random.Next(100);
                var task = roll switch
                {
                    < 20 => live >= settings.MaxDocs ? workload.DeleteOwnAsync(caller, random, ct) : workload.IngestAsync(caller, BenchSoakWorkload.RandomVisibility(random), random, ct),
                    < 32 => live <= 2 * settings.Users ? workload.IngestAsync(caller, BenchSoakWorkload.RandomVisibility(random), random, ct) : workload.DeleteOwnAsync(caller, random, ct),
                    < 62 => workload.SearchAsync(caller, random, ct),
                    < 76 => workload.AskAsync(caller, random, ct),
                    < 86 => workload.GetVisibleAsync(caller, random, ct),
                    < 94 => workload.GetForeignAsync(caller, random, ct),
                    < 97 => workload.DeleteForeignAsync(caller, random, ct),
                    _ => workload.ListAsync(caller, ct),
                };
                await task.ConfigureAwait(false);
            }
        }, ct)).ToList();

        var every = TimeSpan.FromSeconds(Math.Clamp(settings.Seconds / 10, 5, 60));
        var baselineTaken = false;
        var all = Task.WhenAll(tasks);
        while (!all.IsCompleted)
        {
            var elapsed = Stopwatch.GetElapsedTime(started);
            var wait = baselineTaken ? every : warmUp - elapsed;
            await Task.WhenAny(all, Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, ct)).ConfigureAwait(false);
            elapsed = Stopwatch.GetElapsedTime(started);
            if (!baselineTaken && elapsed >= warmUp && !all.IsCompleted)
            {
                memory.MarkBaseline();
                baselineTaken = true;
                BenchServer.Say(cli, FormattableString.Invariant($"  {elapsed.TotalSeconds,5:F0} s: warm-up over, memory baseline taken"));
            }
            else if (!all.IsCompleted)
            {
                BenchServer.Say(cli, FormattableString.Invariant(
                    $"  {elapsed.TotalSeconds,5:F0} s: {counts.Total} requests, {checks.Results} results checked, {checks.Leaks} leaks, {checks.LostWrites} lost writes, {checks.Resurrected} resurrected, {counts.Status(500, 599)} 5xx, {counts.Unexpected} unexpected answers"));
            }
        }

        await all.ConfigureAwait(false);
        return new BenchSoakRun(Math.Round(Stopwatch.GetElapsedTime(started).TotalSeconds, 1), settings.Workers);
    }

    /// <summary>
    /// Once the load has stopped: every user's listing (every live document it may see present, no deleted one), every
    /// live document by id (200 for its owner, 404 for another tenant and, if private, for a colleague), and every
    /// document deleted by this run by id (404 for its owner).
    /// </summary>
    private static async Task<BenchSoakFinal> VerifyAsync(BenchSoakWorkload workload, BenchSoakLedger ledger, List<BenchSoakCaller> callers, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        foreach (var caller in callers)
        {
            _ = await workload.ListAsync(caller, ct).ConfigureAwait(false);
        }

        var byUser = callers.ToDictionary(c => (c.Tenant, c.User));
        var documents = ledger.All();
        int live = 0, deleted = 0;
        await Parallel.ForEachAsync(documents, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct }, async (document, token) =>
        {
            if (!byUser.TryGetValue((document.Marker.Tenant, document.Marker.Owner), out var owner))
            {
                return;
            }

            if (document.State == BenchSoakState.Live)
            {
                Interlocked.Increment(ref live);
                await CheckLiveAsync(workload, document, owner, callers, token).ConfigureAwait(false);
            }
            else if (document.State == BenchSoakState.Deleted)
            {
                Interlocked.Increment(ref deleted);
                if (await workload.GetStatusAsync("final-get-deleted", owner, document.Id, MissingOnly, token).ConfigureAwait(false) == 200)
                {
                    workload.Checks.Resurrect(document, $"final: document {document.Id} ({document.Marker}) answers 200 to its owner after its delete was acknowledged");
                }
            }
        }).ConfigureAwait(false);

        return new BenchSoakFinal(Math.Round(watch.Elapsed.TotalSeconds, 1), callers.Count, live, deleted);
    }

    private static async Task CheckLiveAsync(BenchSoakWorkload workload, BenchSoakDocument document, BenchSoakCaller owner, List<BenchSoakCaller> callers, CancellationToken ct)
    {
        var start = workload.Ledger.Tick();
        var status = await workload.GetStatusAsync("final-get", owner, document.Id, OkOnly, ct).ConfigureAwait(false);
        if (status == 404)
        {
            workload.Checks.MissingVisible(owner, document, start, workload.Ledger.Tick());
        }

        // Deterministic probes: the next tenant's first user, and (private) a colleague.
        var index = callers.IndexOf(owner);
        var stranger = callers.Skip(index).Concat(callers.Take(index)).First(c => c.Tenant != owner.Tenant);
        var probes = new List<BenchSoakCaller> { stranger };
        if (document.Marker.Visibility == BenchSoakMarker.PrivateVisibility)
        {
            probes.Add(callers.First(c => c.Tenant == owner.Tenant && c.User != owner.User));
        }

        foreach (var probe in probes)
        {
            if (await workload.GetStatusAsync("final-get-foreign", probe, document.Id, MissingOnly, ct).ConfigureAwait(false) == 200)
            {
                workload.Checks.ForeignRead(probe, document);
            }
        }
    }
}

/// <summary>How long the load ran, with how many workers.</summary>
internal sealed record BenchSoakRun(double Seconds, int Workers);

/// <summary>What the final verification looked at.</summary>
internal sealed record BenchSoakFinal(double Seconds, int Listings, int LiveDocuments, int DeletedDocuments);
