namespace TenantRag.Rag.Retrieval.Search;

/// <summary>Settings of <see cref="IndexSnapshots"/>.</summary>
public sealed class IndexSnapshotOptions
{
    /// <summary>
    /// Gets or sets the fewest chunks of a tenant's tenant-wide partition worth a persisted snapshot; smaller tenants load
    /// from their chunks (fast enough) and keep no snapshot, so they cost no disk for it. Default 2,000.
    /// </summary>
    public int MinRows { get; set; } = 2_000;

    /// <summary>
    /// Gets or sets how long a rebuild waits after it is asked for, so a burst of writes (an upload of many documents)
    /// costs one rebuild at its end. Default 2 seconds.
    /// </summary>
    public TimeSpan Debounce { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MinRows, 1, nameof(MinRows));
        ArgumentOutOfRangeException.ThrowIfLessThan(Debounce, TimeSpan.Zero, nameof(Debounce));
    }
}
