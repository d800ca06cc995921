namespace TenantRag.Testing;

/// <summary>
/// What the whole process allocates while something runs: a bound on the memory a piece of work can have taken. Only
/// meaningful in a test collection that runs alone (<c>DisableParallelization = true</c>), where nothing else allocates.
/// </summary>
public static class ProcessAllocations
{
    /// <summary>Runs <paramref name="work"/>; returns its exception (or null) and the bytes the process allocated meanwhile.</summary>
    public static async Task<(Exception? Error, long Bytes)> MeasureAsync(Func<Task> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        var before = GC.GetTotalAllocatedBytes(precise: true);
        try
        {
            await work().ConfigureAwait(false);
            return (null, GC.GetTotalAllocatedBytes(precise: true) - before);
        }
        catch (Exception ex)
        {
            return (ex, GC.GetTotalAllocatedBytes(precise: true) - before);
        }
    }

    /// <summary>Mebibytes, for messages.</summary>
    public static string Mib(long bytes) => $"{bytes / (1024.0 * 1024):F1} MiB";
}
