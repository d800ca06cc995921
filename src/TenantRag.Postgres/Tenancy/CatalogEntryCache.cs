using System.Collections.Concurrent;

namespace TenantRag.Postgres.Tenancy;

/// <summary>
/// Entries read from the catalog, trusted for a while and dropped as soon as the catalog says they changed
/// (<see cref="CatalogListener"/>). A read that an invalidation overlapped is not kept: it may have been answered
/// before the change committed and would otherwise stay, stale, for the whole lifetime. While the listener confirms
/// it has heard every change (<see cref="CatalogFreshness"/>), an entry is trusted up to <see cref="ListenedMaxAge"/>:
/// every change the product makes is notified, and the bound is for one that is not (an operator's hand-written SQL).
/// </summary>
internal sealed class CatalogEntryCache<TKey, TValue>(CatalogFreshness freshness, IEqualityComparer<TKey>? comparer = null)
    where TKey : notnull
{
    /// <summary>The oldest an entry is trusted while the listener hears every change.</summary>
    public static readonly TimeSpan ListenedMaxAge = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<TKey, (TValue Value, long At)> _entries = new(comparer);
    private long _invalidations;

    /// <summary>
    /// Whether <paramref name="key"/> has an entry younger than <paramref name="lifetime"/>, or one younger than
    /// <see cref="ListenedMaxAge"/> while every catalog change older than <paramref name="lifetime"/> is known to have
    /// been heard.
    /// </summary>
    /// <param name="key">The entry's key.</param>
    /// <param name="lifetime">How stale an entry may be at most.</param>
    /// <param name="value">The entry, even an expired one; default when there is none.</param>
    public bool TryGet(TKey key, TimeSpan lifetime, out TValue? value)
    {
        if (_entries.TryGetValue(key, out var entry))
        {
            value = entry.Value;
            var age = Environment.TickCount64 - entry.At;
            return age <= (long)lifetime.TotalMilliseconds || (age <= (long)ListenedMaxAge.TotalMilliseconds && freshness.HeardWithin(lifetime));
        }

        value = default;
        return false;
    }

    /// <summary>Take it before reading the catalog, and give it to <see cref="Set"/> with what was read.</summary>
    public long Stamp() => Interlocked.Read(ref _invalidations);

    /// <summary>Keeps what was read, unless an invalidation came after <paramref name="stamp"/> was taken.</summary>
    public void Set(TKey key, TValue value, long stamp)
    {
        var entry = (value, Environment.TickCount64);
        _entries[key] = entry;

        // Checked after the store: an invalidation counts first and removes second, so either it removes this entry or
        // its count is seen here.
        if (Interlocked.Read(ref _invalidations) != stamp)
        {
            _entries.TryRemove(KeyValuePair.Create(key, entry));
        }
    }

    /// <summary>Drops the entry of <paramref name="key"/>.</summary>
    public void Invalidate(TKey key)
    {
        Interlocked.Increment(ref _invalidations);
        _entries.TryRemove(key, out _);
    }

    /// <summary>Drops every entry.</summary>
    public void Clear()
    {
        Interlocked.Increment(ref _invalidations);
        _entries.Clear();
    }
}
