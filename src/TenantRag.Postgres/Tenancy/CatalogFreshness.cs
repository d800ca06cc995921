namespace TenantRag.Postgres.Tenancy;

/// <summary>
/// How recently this process is known to have heard every catalog change: the start of the latest round trip that the
/// <see cref="CatalogListener"/> completed on its listening connection. PostgreSQL delivers a listener every notification
/// committed before a query of its starts by the time that query answers, so once such a round trip completed, each
/// change committed before it started has dropped the cached entries it names. A cached entry is then as fresh as one
/// read at that moment, however long ago it was read: with the listener up, entries live until a change names them (up
/// to <see cref="CatalogEntryCache{TKey, TValue}.ListenedMaxAge"/>), and the staleness bound that
/// <see cref="Installation.TenancyOptions.CatalogCacheTtl"/> promises (a move's clean-up waits for it) still holds.
/// Thread-safe.
/// </summary>
internal sealed class CatalogFreshness
{
    private long _heardAt = long.MinValue;

    /// <summary>Records that every change committed before <paramref name="startedAt"/> (<see cref="Environment.TickCount64"/>) was heard.</summary>
    public void Heard(long startedAt)
    {
        long seen;
        do
        {
            seen = Interlocked.Read(ref _heardAt);
            if (startedAt <= seen)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref _heardAt, startedAt, seen) != seen);
    }

    /// <summary>Forgets what was heard: the listening connection is lost, so nothing more recent will be.</summary>
    public void Lost() => Interlocked.Exchange(ref _heardAt, long.MinValue);

    /// <summary>Whether every change committed more than <paramref name="within"/> ago is known to have been heard.</summary>
    public bool HeardWithin(TimeSpan within)
    {
        var heardAt = Interlocked.Read(ref _heardAt);
        return heardAt != long.MinValue && Environment.TickCount64 - heardAt <= (long)within.TotalMilliseconds;
    }
}
