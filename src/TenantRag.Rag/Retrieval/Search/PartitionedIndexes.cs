using System.Globalization;
using TenantRag.Retrieval;

namespace TenantRag.Rag.Retrieval.Search;

/// <summary>
/// Finds the two cached partitions of a tenant's index of one kind that a caller may search, loading a missing or
/// stale one through the caller's own session: the tenant-wide partition (chunks every user of the tenant may see),
/// shared by all its users, and the caller's own private partition. Both are tagged with the tenant's data version
/// read in that session, so a write by any process is seen by the next search.
/// </summary>
/// <param name="cache">The shared cache.</param>
/// <param name="scope">Distinguishes installations (databases) sharing one cache, since tenant slugs are unique only within one.</param>
internal sealed class PartitionedIndexes(RetrievalIndexCache cache, string scope)
{
    /// <summary>
    /// The tenant-wide partition and the caller's own private partition of the index that <paramref name="kind"/> names.
    /// </summary>
    /// <param name="session">The caller's session; a load reads through it, so row-level security decides what gets in.</param>
    /// <param name="kind">What index, in parts that go into the cache key (e.g. "vector", the model name, its dimensions).</param>
    /// <param name="version">The tenant's data version, read in <paramref name="session"/>.</param>
    /// <param name="load">Builds one partition's index through the session.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    public async Task<(TIndex Tenant, TIndex Own)> GetAsync<TIndex>(ISearchSession session, string[] kind, long version,
        Func<IndexPartition, CancellationToken, Task<TIndex>> load, CancellationToken cancellationToken)
        where TIndex : class, IRetrievalIndex
    {
        ArgumentNullException.ThrowIfNull(session);
        // Keyed by the tenant's id, not its slug: a tenant created again under a deleted one's slug shares nothing with it.
        var tenant = session.TenantId;
        var shared = await GetAsync(Key([scope, tenant, .. kind, "tenant"]), IndexPartition.Tenant, version, load, cancellationToken).ConfigureAwait(false);
        var own = await GetAsync(Key([scope, tenant, .. kind, "private", session.Context.User.Value]), IndexPartition.OwnPrivate, version, load, cancellationToken).ConfigureAwait(false);
        return (shared, own);
    }

    /// <summary>
    /// Whether a loaded row belongs in its partition: the tenant partition is shared by every user and must hold no
    /// private row; a private partition holds only its user's own rows. The session's policies already ensure both; a
    /// loader drops what fails this so a bug elsewhere cannot spread through the cache.
    /// </summary>
    public static bool Belongs(IndexPartition partition, string owner, bool isPrivate, string user) =>
        partition == IndexPartition.Tenant
            ? !isPrivate
            : isPrivate && string.Equals(owner, user, StringComparison.Ordinal);

    private async Task<TIndex> GetAsync<TIndex>(string key, IndexPartition partition, long version,
        Func<IndexPartition, CancellationToken, Task<TIndex>> load, CancellationToken cancellationToken)
        where TIndex : class, IRetrievalIndex
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await cache.GetOrLoadAsync(key, version, _ => load(partition, cancellationToken), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception) when (attempt == 0 && !cancellationToken.IsCancellationRequested)
            {
                // A load is shared by every caller asking for the same key and version, and it reads through the session of
                // the caller who started it: if that caller gave up (its session closed), the others retry with their own.
            }
        }
    }

    /// <summary>
    /// The tenant id in <paramref name="key"/> (its second part) when it is a key of this class's, made in
    /// <paramref name="scope"/>; otherwise null.
    /// </summary>
    internal static string? TenantOf(string key, string scope)
    {
        var position = 0;
        string? part = null;
        for (var i = 0; i < 2; i++)
        {
            var colon = position < key.Length ? key.IndexOf(':', position) : -1;
            if (colon < 0 || !int.TryParse(key.AsSpan(position, colon - position), NumberStyles.None, CultureInfo.InvariantCulture, out var length)
                || length > key.Length - colon - 1)
            {
                return null;
            }

            part = key.Substring(colon + 1, length);
            if (i == 0 && !string.Equals(part, scope, StringComparison.Ordinal))
            {
                return null;
            }

            position = colon + 1 + length + 1;
        }

        return part;
    }

    // Length-prefixed parts: no user id or model name can make two different keys equal.
    private static string Key(string[] parts) =>
        string.Join('|', parts.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Length}:{p}")));
}
