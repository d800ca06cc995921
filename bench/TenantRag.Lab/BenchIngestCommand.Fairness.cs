using System.Collections.Concurrent;
using System.Diagnostics;

namespace TenantRag.Lab;

/// <summary>Phase (c): a tenant's single file alone, then behind another tenant's bulk upload.</summary>
internal static partial class BenchIngestCommand
{
    // Enough senders to queue a job server's whole bulk upload in seconds; a server that ingests within the request takes a
    // few at a time per tenant (and queues a few) and answers the rest 429, which the senders retry for as long as it takes.
    private const int BulkSenders = 8;
    private static readonly TimeSpan BulkHeadStart = TimeSpan.FromSeconds(2);

    private sealed record FairnessFigures(
        int BulkFiles, string BulkQueued, int BulkAcceptedBeforeSingles, int BulkStored, int BulkFailed, IReadOnlyDictionary<string, int> BulkFailures, double BulkSeconds,
        double[] AloneSeconds, double[] BehindSeconds, int BehindWhileBulkRan, double AloneMedian, double BehindMedian, double? Ratio);

    private static async Task<FairnessFigures> FairnessAsync(Bench bench)
    {
        var settings = bench.Settings;
        var corpus = bench.Data.Corpus;
        BenchServer.Say(bench.Cli, $"phase c: a single small file of one tenant, {settings.SingleRuns} times alone, then {settings.SingleRuns} times while another tenant uploads {settings.BulkFiles} small files ({BulkSenders} senders)");
        var single = await bench.FreshTenantAsync("single").ConfigureAwait(false);
        var bulk = await bench.FreshTenantAsync("bulk").ConfigureAwait(false);
        var singleStart = bench.Offset + (60 * (settings.RatePdfs + 2));
        var aloneUploads = await SinglesAsync(bench, single, singleStart, null).ConfigureAwait(false);
        var alone = Seconds(aloneUploads);

        // The bulk tenant's files: one abstract each, new text however many there are.
        var bulkStart = singleStart + (2 * settings.SingleRuns);
        byte[] BulkFile(int index)
        {
            var document = corpus[(bulkStart + index) % corpus.Count];
            var copy = (bulkStart + index) / corpus.Count;
            return Markdown(copy == 0 ? document : document with { Text = $"{document.Text} (copy {copy})" });
        }

        var accepted = 0;
        var jobs = new Uri?[settings.BulkFiles];
        var outcomes = new ConcurrentBag<BenchIngestUpload>();
        var next = -1;
        var bulkStarted = Stopwatch.GetTimestamp();
        var senders = Task.WhenAll(Enumerable.Range(0, BulkSenders).Select(_ => Task.Run(async () =>
        {
            for (var i = Interlocked.Increment(ref next); i < settings.BulkFiles; i = Interlocked.Increment(ref next))
            {
                var posted = await bench.Client.PostAsync(bulk, $"bulk-{i:D5}.md", BulkFile(i), "text/markdown", 0, Stopwatch.GetTimestamp(), bench.Ct,
                    retryFor: TimeSpan.MaxValue).ConfigureAwait(false);
                if (posted.Job is { } job)
                {
                    Volatile.Write(ref jobs[i], job);
                }
                else
                {
                    outcomes.Add(new BenchIngestUpload(posted.Stored, posted.Outcome, 0, posted.Chunks, posted.Documents));
                }

                Interlocked.Increment(ref accepted);
            }
        }, bench.Ct)));

        // A job server queues every file within seconds: the single files then wait behind all of them. A server that ingests
        // within the request is busy with the bulk tenant's first files after the head start.
        var headStart = Stopwatch.StartNew();
        while (!senders.IsCompleted && Volatile.Read(ref accepted) < settings.BulkFiles && headStart.Elapsed < BulkHeadStart + bench.Timeout
            && !(headStart.Elapsed >= BulkHeadStart && Volatile.Read(ref accepted) > 0 && Array.TrueForAll(jobs, j => j is null)))
        {
            await Task.Delay(PollInterval, bench.Ct).ConfigureAwait(false);
        }

        var acceptedBefore = Volatile.Read(ref accepted);
        var behindWhileRunning = 0;
        var behindUploads = await SinglesAsync(bench, single, singleStart + settings.SingleRuns, async () =>
        {
            // Jobs of one tenant run in order: the bulk upload runs until its last file's job is done.
            var running = !senders.IsCompleted
                || (jobs[^1] is { } last && !await bench.Client.JobDoneAsync(bulk, last, bench.Ct).ConfigureAwait(false));
            behindWhileRunning += running ? 1 : 0;
        }).ConfigureAwait(false);
        var behind = Seconds(behindUploads);

        await senders.ConfigureAwait(false);
        foreach (var job in jobs.OfType<Uri>())
        {
            outcomes.Add(await bench.Client.WaitForJobAsync(bulk, job, Stopwatch.GetTimestamp(), PollInterval * 10, bench.Ct).ConfigureAwait(false));
        }

        var bulkSeconds = Stopwatch.GetElapsedTime(bulkStarted).TotalSeconds;
        var aloneMedian = Median(alone);
        var behindMedian = Median(behind);
        var figures = new FairnessFigures(settings.BulkFiles, Array.TrueForAll(jobs, j => j is null) ? "within each request" : "as jobs", acceptedBefore,
            outcomes.Count(o => o.Stored), outcomes.Count(o => !o.Stored),
            outcomes.Where(o => !o.Stored).GroupBy(o => o.Outcome, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal),
            Math.Round(bulkSeconds, 1), alone, behind, behindWhileRunning,
            aloneMedian, behindMedian, aloneMedian > 0 ? Math.Round(behindMedian / aloneMedian, 2) : null);
        BenchServer.Say(bench.Cli, FormattableString.Invariant(
            $"  alone: median {aloneMedian * 1000:F0} ms ({string.Join(", ", alone.Select(s => $"{s * 1000:F0}"))} ms){ServerTimes(aloneUploads)}"));
        BenchServer.Say(bench.Cli, FormattableString.Invariant(
            $"  behind the bulk upload ({figures.BulkQueued}; {acceptedBefore} of its files accepted before the first): median {behindMedian * 1000:F0} ms ({string.Join(", ", behind.Select(s => $"{s * 1000:F0}"))} ms){ServerTimes(behindUploads)}, {behindWhileRunning} of {behind.Length} while it still ran; {figures.Ratio:F2}x alone"));
        BenchServer.Say(bench.Cli, FormattableString.Invariant(
            $"  the bulk upload: {figures.BulkStored} files stored, {figures.BulkFailed} not{string.Concat(figures.BulkFailures.Select(f => $" ({f.Key}: {f.Value})"))}, in {bulkSeconds:F1} s"));
        return figures;
    }

    private static double[] Seconds(BenchIngestUpload[] uploads) => [.. uploads.Select(u => Math.Round(u.Seconds, 3))];

    // Where a job server's time went: waiting for a worker, then in the worker (medians, by the server's clock).
    private static string ServerTimes(BenchIngestUpload[] uploads)
    {
        double[] queued = [.. uploads.Select(u => u.QueuedSeconds).OfType<double>()];
        double[] ran = [.. uploads.Select(u => u.RunSeconds).OfType<double>()];
        return queued.Length == 0 || ran.Length == 0
            ? string.Empty
            : FormattableString.Invariant($"; queued {Median(queued) * 1000:F0} ms, worker {Median(ran) * 1000:F0} ms");
    }

    // One small file at a time, each timed from its POST until it is stored.
    private static async Task<BenchIngestUpload[]> SinglesAsync(Bench bench, BenchApiTarget target, int start, Func<Task>? afterEach)
    {
        var seconds = new BenchIngestUpload[bench.Settings.SingleRuns];
        for (var i = 0; i < seconds.Length; i++)
        {
            var document = bench.Data.Corpus[(start + i) % bench.Data.Corpus.Count];
            var upload = await bench.Client.UploadAsync(target, $"single-{start + i}.md", Markdown(document), "text/markdown", 0, PollInterval, bench.Ct)
                .ConfigureAwait(false);
            if (!upload.Stored)
            {
                throw new BenchFailedException($"the single file of {target.Tenant} was not stored ({upload.Outcome})");
            }

            seconds[i] = upload;
            if (afterEach is not null)
            {
                await afterEach().ConfigureAwait(false);
            }
        }

        return seconds;
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? 0 : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
