namespace TenantRag.Lab;

/// <summary>Where a soak document stands, as far as acknowledged responses tell.</summary>
internal enum BenchSoakState
{
    /// <summary>Acknowledged (201), or found at the start; nobody is deleting it.</summary>
    Live,

    /// <summary>Its owner's delete is in flight.</summary>
    Deleting,

    /// <summary>The delete was acknowledged (204): it must never be seen again.</summary>
    Deleted,

    /// <summary>A request about it failed without an answer (timeout, 5xx): it may or may not be there.</summary>
    Unknown,
}

/// <summary>
/// One document the soak knows by id. The sequence numbers come from <see cref="BenchSoakLedger.Tick"/> and order
/// acknowledgements against the start and end of other requests, so checks skip only what truly raced.
/// </summary>
internal sealed class BenchSoakDocument(Guid id, BenchSoakMarker marker, long acknowledged, bool fromThisRun)
{
    public Guid Id { get; } = id;

    public BenchSoakMarker Marker { get; } = marker;

    /// <summary>When its write was acknowledged (0: it was there before this run).</summary>
    public long Acknowledged { get; } = acknowledged;

    /// <summary>False for documents found at the start (left by an earlier run).</summary>
    public bool FromThisRun { get; } = fromThisRun;

    public BenchSoakState State { get; set; } = BenchSoakState.Live;

    /// <summary>When its delete was sent (<see cref="long.MaxValue"/>: never).</summary>
    public long Claimed { get; set; } = long.MaxValue;

    /// <summary>When its delete was acknowledged (<see cref="long.MaxValue"/>: never).</summary>
    public long DeletedAt { get; set; } = long.MaxValue;

    /// <summary>
    /// True when the document was live for the whole of a request that started at <paramref name="start"/> and ended at
    /// <paramref name="end"/>: acknowledged before, and no delete sent before the end.
    /// </summary>
    public bool LiveThroughout(long start, long end) => Acknowledged < start && Claimed > end && State is BenchSoakState.Live or BenchSoakState.Deleting;

    /// <summary>True when its delete was acknowledged before <paramref name="start"/>.</summary>
    public bool DeletedBefore(long start) => State == BenchSoakState.Deleted && DeletedAt < start;
}
