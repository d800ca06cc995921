using System.Diagnostics;

namespace TenantRag.Lab;

/// <summary>
/// Samples this process (server and load generator) once a second: the GC heap and the working set. The baseline is
/// taken after warm-up and the end after the load stops, both right after a full blocking collection, so that they
/// compare live memory rather than garbage waiting for a collection.
/// </summary>
internal sealed class BenchSoakMemory : IAsyncDisposable
{
    // Growth from baseline to end that still counts as flat: caches fill, pools grow to their bounds.
    private const double FlatRatio = 1.25;
    private const long HeapSlackBytes = 32L * 1024 * 1024;
    private const long WorkingSetSlackBytes = 96L * 1024 * 1024;

    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampling;
    private readonly Lock _lock = new();
    private long _maxHeap;
    private long _maxWorkingSet;

    public BenchSoakMemory() => _sampling = SampleAsync(_stop.Token);

    /// <summary>The baseline, once <see cref="MarkBaseline"/> ran.</summary>
    public BenchSoakMemorySample? Baseline { get; private set; }

    /// <summary>Takes the baseline (after warm-up); the maxima count from here on.</summary>
    public void MarkBaseline()
    {
        var sample = Collect();
        lock (_lock)
        {
            Baseline = sample;
            _maxHeap = sample.HeapBytes;
            _maxWorkingSet = sample.WorkingSetBytes;
        }
    }

    /// <summary>Stops sampling and takes the end sample; null verdict when there is no baseline to compare with.</summary>
    public async Task<BenchSoakMemoryFigures> FinishAsync(bool judge)
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _sampling.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        var end = Collect();
        lock (_lock)
        {
            var start = Baseline ?? end;
            var maxHeap = Math.Max(_maxHeap, end.HeapBytes);
            var maxWorkingSet = Math.Max(_maxWorkingSet, end.WorkingSetBytes);
            bool? flat = judge && Baseline is not null
                ? end.HeapBytes <= (start.HeapBytes * FlatRatio) + HeapSlackBytes && end.WorkingSetBytes <= (start.WorkingSetBytes * FlatRatio) + WorkingSetSlackBytes
                : null;
            return new BenchSoakMemoryFigures(Mib(start.HeapBytes), Mib(maxHeap), Mib(end.HeapBytes), Mib(start.WorkingSetBytes), Mib(maxWorkingSet), Mib(end.WorkingSetBytes), flat);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _sampling.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private async Task SampleAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
        {
            var sample = Now();
            lock (_lock)
            {
                if (Baseline is not null)
                {
                    _maxHeap = Math.Max(_maxHeap, sample.HeapBytes);
                    _maxWorkingSet = Math.Max(_maxWorkingSet, sample.WorkingSetBytes);
                }
            }
        }
    }

    private static BenchSoakMemorySample Collect()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return Now();
    }

    private static BenchSoakMemorySample Now()
    {
        using var process = Process.GetCurrentProcess();
        return new BenchSoakMemorySample(GC.GetTotalMemory(forceFullCollection: false), process.WorkingSet64);
    }

    private static double Mib(long bytes) => Math.Round(bytes / (1024.0 * 1024.0), 1);
}

/// <summary>One sample: bytes on the GC heap and the process working set.</summary>
internal readonly record struct BenchSoakMemorySample(long HeapBytes, long WorkingSetBytes);

/// <summary>Memory of the soak in MiB: baseline after warm-up, maximum since, and end; <c>Flat</c> null when not judged.</summary>
internal sealed record BenchSoakMemoryFigures(double HeapStartMib, double HeapMaxMib, double HeapEndMib,
    double WorkingSetStartMib, double WorkingSetMaxMib, double WorkingSetEndMib, bool? Flat)
{
    public string Describe() => FormattableString.Invariant(
        $"GC heap {HeapStartMib:F1} MiB after warm-up, max {HeapMaxMib:F1}, end {HeapEndMib:F1}; working set {WorkingSetStartMib:F1} MiB, max {WorkingSetMaxMib:F1}, end {WorkingSetEndMib:F1}");

    public string Verdict => Flat switch
    {
        true => "flat (end within 25% + slack of the baseline)",
        false => "GROWING (end above 25% + slack of the baseline)",
        null => "not judged (runs shorter than 60 s have no steady state to compare)",
    };
}
