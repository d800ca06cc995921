using System.Collections.Concurrent;
using System.Diagnostics;

namespace TenantRag.Lab;

/// <summary>
/// Phase (d): one tenant's search p99 in windows while another tenant bulk-uploads, against the windows in between, as
/// <c>bench api</c> measures it; each upload waits until it is stored, so no backlog spills into the quiet windows.
/// </summary>
internal static partial class BenchIngestCommand
{
    private static readonly TimeSpan UploadHeadStart = TimeSpan.FromSeconds(0.5);
    private static readonly TimeSpan NeighbourWarmUp = TimeSpan.FromSeconds(3);

    private sealed record NeighbourFigures(string QuietTenant, string NoisyTenant, BenchApiLoadFigures Quiet, BenchApiLoadFigures Noisy,
        BenchApiUploadFigures Uploads, double UploadCores, double Ratio);

    private static async Task<NeighbourFigures> NeighbourAsync(Bench bench)
    {
        var settings = bench.Settings;
        var quiet = bench.Searched[0];
        var noisy = await bench.FreshTenantAsync("noisy").ConfigureAwait(false);
        BenchServer.Say(bench.Cli, $"phase d: noisy neighbour: {quiet.Tenant} searched by {settings.NeighbourClients} clients for {settings.NeighbourSeconds} s quiet and {settings.NeighbourSeconds} s while {noisy.Tenant} bulk-uploads, in {settings.NeighbourRounds} alternating rounds ({settings.Uploaders} concurrent uploads of {settings.UploadDocs} new documents, each waited for)");
        var corpus = bench.Data.Corpus;
        var start = bench.Offset + (60 * (settings.RatePdfs + 2)) + (2 * settings.SingleRuns) + settings.BulkFiles;
        byte[] Batch(int index) => BenchApiLoad.Jsonl(Enumerable.Range(0, settings.UploadDocs).Select(j =>
        {
            var position = start + (index * settings.UploadDocs) + j;
            var document = corpus[position % corpus.Count];
            var copy = position / corpus.Count;
            return new BenchApiDocument($"n{index}-{j}", document.Title, copy == 0 ? document.Text : $"{document.Text} (copy {copy})");
        }));

        Func<Random, (BenchApiTarget, string)?> picker = random => (quiet, bench.Data.Queries[random.Next(bench.Data.Queries.Count)]);
        var uploadIndex = -1;
        (string, byte[]) NextBatch()
        {
            var index = Interlocked.Increment(ref uploadIndex);
            return ($"bulk-{index:D5}.jsonl", Batch(index));
        }

        // Not measured: a few uploads while the quiet tenant searches, so both paths are compiled and warm.
        using (var warmUp = new CancellationTokenSource(NeighbourWarmUp))
        {
            var uploads = UploadUntilAsync(bench, noisy, NextBatch, warmUp.Token);
            await BenchApiLoad.MeasureAsync(bench.Http, bench.Cpu, settings.NeighbourClients, NeighbourWarmUp, SearchK, Seed + 5, picker, bench.Ct)
                .ConfigureAwait(false);
            var warmed = await uploads.ConfigureAwait(false);
            if (warmed.Errors > 0 || warmed.Uploads == 0)
            {
                throw new BenchFailedException($"the warm-up uploads of {noisy.Tenant} failed ({warmed.Errors} of {warmed.Uploads}): the server is not accepting uploads");
            }
        }

        var window = TimeSpan.FromSeconds(settings.NeighbourSeconds) / settings.NeighbourRounds;
        var quietWindows = new List<BenchApiWindow>(settings.NeighbourRounds);
        var noisyWindows = new List<BenchApiWindow>(settings.NeighbourRounds);
        var uploadRuns = new List<BenchApiUploadFigures>(settings.NeighbourRounds);
        var uploadCpu = TimeSpan.Zero;
        for (var round = 0; round < settings.NeighbourRounds; round++)
        {
            quietWindows.Add(await BenchApiLoad.MeasureAsync(bench.Http, bench.Cpu, settings.NeighbourClients, window, SearchK, Seed + 10 + (2 * round), picker, bench.Ct)
                .ConfigureAwait(false));
            using var stop = new CancellationTokenSource();
            var cpuBefore = bench.UploadCpu;
            var uploads = UploadUntilAsync(bench, noisy, NextBatch, stop.Token);
            try
            {
                await Task.Delay(UploadHeadStart, bench.Ct).ConfigureAwait(false);
                noisyWindows.Add(await BenchApiLoad.MeasureAsync(bench.Http, bench.Cpu, settings.NeighbourClients, window, SearchK, Seed + 11 + (2 * round), picker, bench.Ct)
                    .ConfigureAwait(false));
            }
            finally
            {
                // Uploads in flight finish before the next quiet window.
                await stop.CancelAsync().ConfigureAwait(false);
                await ((Task)uploads).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            uploadRuns.Add(await uploads.ConfigureAwait(false));
            uploadCpu += bench.UploadCpu - cpuBefore;
        }

        var quietFigures = BenchApiLoad.Summarize(quietWindows);
        var noisyFigures = BenchApiLoad.Summarize(noisyWindows);
        var uploaded = BenchApiUploadFigures.Combine(uploadRuns);
        var ratio = quietFigures.P99Ms > 0 ? Math.Round(noisyFigures.P99Ms / quietFigures.P99Ms, 2) : double.NaN;
        var cores = uploaded.Seconds > 0 ? Math.Round(uploadCpu.TotalSeconds / uploaded.Seconds, 2) : 0;
        BenchServer.Say(bench.Cli, $"  quiet: {quietFigures.Describe()}");
        BenchServer.Say(bench.Cli, $"  noisy: {noisyFigures.Describe()}");
        BenchServer.Say(bench.Cli, FormattableString.Invariant(
            $"  meanwhile {noisy.Tenant}: {uploaded.Uploads} uploads, {uploaded.DocumentsAdded} documents, {uploaded.Chunks} chunks ({uploaded.ChunksPerSecond:F1}/s), {uploaded.Errors} errors in {uploaded.Seconds:F1} s; upload threads used {cores:F2} cores"));
        BenchServer.Say(bench.Cli, FormattableString.Invariant($"  p99 noisy / quiet: {noisyFigures.P99Ms:F1} / {quietFigures.P99Ms:F1} ms = {ratio:F2}x (target <= {TargetNeighbourRatio}x)"));
        return new NeighbourFigures(quiet.Tenant, noisy.Tenant, quietFigures, noisyFigures, uploaded, cores, ratio);
    }

    // The noisy tenant's uploaders, each sending one .jsonl at a time and waiting until it is stored, until stop.
    private static async Task<BenchApiUploadFigures> UploadUntilAsync(Bench bench, BenchApiTarget target, Func<(string Name, byte[] Content)> batch,
        CancellationToken stop)
    {
        var settings = bench.Settings;
        var results = new ConcurrentBag<BenchIngestUpload>();
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, settings.Uploaders).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var (name, content) = batch();
                results.Add(await bench.Client.UploadAsync(target, name, content, "application/x-ndjson", WaitSeconds(bench), PollInterval * 5, bench.Ct)
                    .ConfigureAwait(false));
            }
        }, bench.Ct))).ConfigureAwait(false);
        var errors = results.Where(r => !r.Stored).GroupBy(r => r.Outcome, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        return new BenchApiUploadFigures
        {
            Uploaders = settings.Uploaders,
            DocumentsPerUpload = settings.UploadDocs,
            Seconds = Math.Round(Stopwatch.GetElapsedTime(started).TotalSeconds, 2),
            Uploads = results.Count,
            DocumentsAdded = results.Sum(r => r.Documents),
            Chunks = results.Sum(r => r.Chunks),
            Throttled = 0,
            Errors = errors.Values.Sum(),
            ErrorKinds = errors,
        };
    }
}
