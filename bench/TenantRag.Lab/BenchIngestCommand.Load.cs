using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using TenantRag.Rag.Embeddings;
using TenantRag.Server;

namespace TenantRag.Lab;

/// <summary>Phases (a) and (b): a PDF under full search load (and alone, for reference), and the rate with no searches.</summary>
internal static partial class BenchIngestCommand
{
    private static readonly TimeSpan LoadWindow = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LoadHeadStart = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan SearchInterval = TimeSpan.FromMilliseconds(100);
    private const int SearchK = 10;

    /// <summary>
    /// One PDF: from its POST until a search of its tenant finds it, and until it is stored; the CPU the upload threads
    /// had meanwhile, in cores.
    /// </summary>
    private sealed record Searchable(int Chunks, double? SearchableSeconds, BenchIngestUpload Upload, double UploadCores);

    private sealed record UnderLoadFigures(int Clients, Searchable Alone, Searchable Loaded, BenchApiLoadFigures Searches);

    private sealed record RateFigures(
        int Pdfs, long Chunks, int Failed, double Seconds, double ChunksPerSecond, double UploadCores,
        double ModelAloneBefore, double ModelAloneAfter, double ModelAloneChunksPerSecond, double Ratio);

    // Phase (a): the PDF alone first (what it costs with the machine to itself), then while searches keep every core busy.
    private static async Task<UnderLoadFigures> UnderSearchLoadAsync(Bench bench)
    {
        var settings = bench.Settings;
        var alonePdf = await BenchIngestPdf.BuildAsync("manual-alone", bench.Pipeline, bench.Limits, bench.Data.Corpus, bench.Offset, settings.PdfChunks, bench.Ct)
            .ConfigureAwait(false);
        var loadedPdf = await BenchIngestPdf.BuildAsync("manual-loaded", bench.Pipeline, bench.Limits, bench.Data.Corpus, bench.Offset + 60, settings.PdfChunks, bench.Ct)
            .ConfigureAwait(false);
        BenchServer.Say(bench.Cli, FormattableString.Invariant(
            $"phase a: a {alonePdf.ChunkTexts.Count}-chunk PDF ({alonePdf.Content.Length / 1024.0:F0} KiB) uploaded with no searches, then another while {settings.Clients} clients search {settings.Tenants} other tenants at full load; from POST to the first search that finds it"));
        var alone = await SearchableAsync(bench, "pdf-alone", alonePdf).ConfigureAwait(false);
        BenchServer.Say(bench.Cli, $"  alone: {Describe(alone)}");

        var windows = new List<BenchApiWindow>();
        using var stop = new CancellationTokenSource();
        var load = Task.Run(async () =>
        {
            var round = 0;
            while (!stop.IsCancellationRequested)
            {
                windows.Add(await BenchApiLoad.MeasureAsync(bench.Http, bench.Cpu, settings.Clients, LoadWindow, SearchK, Seed + round++,
                    random => (bench.Searched[random.Next(bench.Searched.Count)], bench.Data.Queries[random.Next(bench.Data.Queries.Count)]), bench.Ct)
                    .ConfigureAwait(false));
            }
        }, bench.Ct);
        Searchable loaded;
        try
        {
            await Task.Delay(LoadHeadStart, bench.Ct).ConfigureAwait(false);
            loaded = await SearchableAsync(bench, "pdf-loaded", loadedPdf).ConfigureAwait(false);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await load.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        await load.ConfigureAwait(false);
        var searches = BenchApiLoad.Summarize(windows);
        BenchServer.Say(bench.Cli, $"  under load: {Describe(loaded)}");
        BenchServer.Say(bench.Cli, $"  searches meanwhile: {searches.Describe()}");
        return new UnderLoadFigures(settings.Clients, alone, loaded, searches);
    }

    private static async Task<Searchable> SearchableAsync(Bench bench, string name, BenchIngestPdf pdf)
    {
        var target = await bench.FreshTenantAsync(name).ConfigureAwait(false);
        var cpuBefore = bench.UploadCpu;
        var started = Stopwatch.GetTimestamp();
        var upload = bench.Client.UploadAsync(target, pdf.FileName, pdf.Content, "application/pdf", WaitSeconds(bench), SearchInterval, bench.Ct);
        var found = await bench.Client.FirstFoundAsync(target, pdf.Query, started, SearchInterval, bench.Ct).ConfigureAwait(false);
        var cores = (bench.UploadCpu - cpuBefore) / Stopwatch.GetElapsedTime(started);
        var stored = await upload.ConfigureAwait(false);
        if (!stored.Stored && found is null)
        {
            throw new BenchFailedException($"the PDF of {target.Tenant} was not stored ({stored.Outcome})");
        }

        return new Searchable(pdf.ChunkTexts.Count, found is { } seconds ? Math.Round(seconds, 2) : null, stored with { Seconds = Math.Round(stored.Seconds, 2) },
            Math.Round(cores, 2));
    }

    private static string Describe(Searchable result) => FormattableString.Invariant(
        $"searchable after {(result.SearchableSeconds is { } s ? $"{s:F1} s" : $"more than {result.Upload.Seconds:F0} s (not found)")}, stored after {result.Upload.Seconds:F1} s ({result.Upload.Outcome}, {result.Chunks} chunks); upload threads had {result.UploadCores:F2} of a core meanwhile");

    // Phase (b): several PDFs into one tenant as fast as the API takes them, against the model alone on the same chunk texts
    // (measured before and after, as eval does, and averaged).
    private static async Task<RateFigures> RateAsync(Bench bench)
    {
        var settings = bench.Settings;
        var pdfs = new List<BenchIngestPdf>(settings.RatePdfs);
        for (var i = 0; i < settings.RatePdfs; i++)
        {
            pdfs.Add(await BenchIngestPdf.BuildAsync($"manual-rate-{i}", bench.Pipeline, bench.Limits, bench.Data.Corpus, bench.Offset + 120 + (60 * i), settings.PdfChunks, bench.Ct)
                .ConfigureAwait(false));
        }

        var texts = pdfs.SelectMany(p => p.ChunkTexts).ToList();
        var concurrency = bench.App.Services.GetRequiredService<ServerOptions>().IngestConcurrency;
        BenchServer.Say(bench.Cli, $"phase b: {pdfs.Count} PDFs ({texts.Count} chunks) into one tenant, {concurrency} at a time, with no searches; against the model alone on the same chunk texts");
        var before = await ModelAloneAsync(texts, bench.Ct).ConfigureAwait(false);
        var target = await bench.FreshTenantAsync("rate").ConfigureAwait(false);
        var next = -1;
        var uploads = new BenchIngestUpload[pdfs.Count];
        var cpuBefore = bench.UploadCpu;
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            for (var i = Interlocked.Increment(ref next); i < pdfs.Count; i = Interlocked.Increment(ref next))
            {
                uploads[i] = await bench.Client.UploadAsync(target, pdfs[i].FileName, pdfs[i].Content, "application/pdf", WaitSeconds(bench), PollInterval, bench.Ct)
                    .ConfigureAwait(false);
            }
        }, bench.Ct))).ConfigureAwait(false);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var cores = (bench.UploadCpu - cpuBefore).TotalSeconds / seconds;
        var after = await ModelAloneAsync(texts, bench.Ct).ConfigureAwait(false);
        var stored = pdfs.Where((_, i) => uploads[i].Stored).Sum(p => (long)p.ChunkTexts.Count);
        var rate = stored / seconds;
        var alone = (before + after) / 2;
        var figures = new RateFigures(pdfs.Count, stored, uploads.Count(u => !u.Stored), Math.Round(seconds, 2), Math.Round(rate, 1), Math.Round(cores, 2),
            Math.Round(before, 1), Math.Round(after, 1), Math.Round(alone, 1), Math.Round(rate / alone, 3));
        BenchServer.Say(bench.Cli, FormattableString.Invariant(
            $"  through the API: {stored} chunks in {seconds:F1} s = {rate:F1} chunks/s ({figures.Failed} uploads not stored; upload threads used {cores:F2} cores); model alone {before:F1} before, {after:F1} after: {rate / alone:P0} of it"));
        return figures;
    }

    // The model as eval measures it: default settings (two intra-op threads, batches of 32) on the caller's thread.
    private static async Task<double> ModelAloneAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken)
    {
        using var model = new MiniLmEmbeddingGenerator();
        await model.GenerateAsync(texts.Take(8), cancellationToken: cancellationToken).ConfigureAwait(false);
        var started = Stopwatch.GetTimestamp();
        await model.GenerateAsync(texts, cancellationToken: cancellationToken).ConfigureAwait(false);
        return texts.Count / Stopwatch.GetElapsedTime(started).TotalSeconds;
    }
}
