using TenantRag.Documents;
using TenantRag.Retrieval;

namespace TenantRag.Rag.Retrieval.Search;

/// <summary>
/// Vector search over a tenant's cached indexes. Each tenant has two kinds of cache entry, both loaded through the
/// caller's session (so row-level security decides what gets in) and tagged with the tenant's data version read in
/// that same session: the tenant-wide partition (chunks every user of the tenant may see), shared by all its users,
/// and one partition per user with that user's own private chunks. A search reads the tenant partition and the
/// caller's own partition only, so another user's private chunk is never even in reach.
/// </summary>
/// <remarks>
/// Defence in depth: a loaded row that does not belong in its partition is dropped, and <see cref="VectorIndex"/>
/// filters private rows by owner again. Results are chunk ids; callers read the chunks through the session, under
/// row-level security, before showing anything.
/// </remarks>
public sealed class VectorRetriever
{
    private readonly VectorIndexCache _cache;
    private readonly string _scope;

    /// <summary>Creates a retriever over <paramref name="cache"/>.</summary>
    /// <param name="cache">The index cache; it may be shared with other retrievers.</param>
    /// <param name="scope">
    /// Distinguishes installations (databases) sharing one cache, since tenant slugs are unique only within one; null
    /// for a scope unique to this retriever.
    /// </param>
    public VectorRetriever(VectorIndexCache cache, string? scope = null)
    {
        ArgumentNullException.ThrowIfNull(cache);
        _cache = cache;
        _scope = scope ?? Guid.NewGuid().ToString("N");
    }

    /// <summary>The cache key of a tenant's tenant-wide partition.</summary>
    public string TenantKey(TenantRag.Tenancy.TenantSlug tenant, EmbeddingModel model) =>
        Key(_scope, tenant.Value, model.Name, model.Dimensions.ToString(System.Globalization.CultureInfo.InvariantCulture), "tenant");

    /// <summary>The cache key of one user's own private partition.</summary>
    public string PrivateKey(TenantRag.Tenancy.TenantSlug tenant, TenantRag.Tenancy.UserId user, EmbeddingModel model) =>
        Key(_scope, tenant.Value, model.Name, model.Dimensions.ToString(System.Globalization.CultureInfo.InvariantCulture), "private", user.Value);

    /// <summary>
    /// The <paramref name="k"/> chunks most similar to <paramref name="query"/> that the session's user may see.
    /// </summary>
    /// <param name="session">The caller's session; used to load a partition that is not cached at <paramref name="dataVersion"/>.</param>
    /// <param name="dataVersion">The tenant's data version, read in <paramref name="session"/>.</param>
    /// <param name="model">The model of the query vector (and of the vectors to search).</param>
    /// <param name="query">The unit-length query vector.</param>
    /// <param name="k">How many hits at most.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>Hits, best first.</returns>
    public async Task<IReadOnlyList<VectorIndexHit>> SearchAsync(ISearchSession session, long dataVersion, EmbeddingModel model,
        ReadOnlyMemory<float> query, int k, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        var context = session.Context;
        var user = context.User.Value;
        var shared = await GetAsync(session, TenantKey(context.Tenant, model), VectorPartition.Tenant, dataVersion, model, cancellationToken).ConfigureAwait(false);
        var own = await GetAsync(session, PrivateKey(context.Tenant, context.User, model), VectorPartition.OwnPrivate, dataVersion, model, cancellationToken).ConfigureAwait(false);
        var sharedHits = shared.Search(query.Span, k, user);
        if (own.Count == 0)
        {
            return sharedHits;
        }

        var ownHits = own.Search(query.Span, k, user);
        return [.. sharedHits.Concat(ownHits)
            .OrderByDescending(h => h.Score)
            .ThenBy(h => h.ChunkId)
            .Take(k)];
    }

    private async Task<VectorIndex> GetAsync(ISearchSession session, string key, VectorPartition partition, long version, EmbeddingModel model, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await _cache.GetOrLoadAsync(key, version, _ => LoadAsync(session, partition, model, cancellationToken), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception) when (attempt == 0 && !cancellationToken.IsCancellationRequested)
            {
                // A load is shared by every caller asking for the same key and version, and it reads through the session of
                // the caller who started it: if that caller gave up (its session closed), the others retry with their own.
            }
        }
    }

    private static async Task<VectorIndex> LoadAsync(ISearchSession session, VectorPartition partition, EmbeddingModel model, CancellationToken cancellationToken)
    {
        var user = session.Context.User.Value;
        var builder = new VectorIndexBuilder(model.Dimensions);
        await session.LoadVectorsAsync(partition, model, (chunkId, owner, isPrivate, vector) =>
        {
            // The tenant partition is shared by every user: it must hold no private row. A private partition holds only
            // its user's own rows. The session's policies already ensure both; this keeps a bug elsewhere from spreading.
            var belongs = partition == VectorPartition.Tenant
                ? !isPrivate
                : isPrivate && string.Equals(owner, user, StringComparison.Ordinal);
            if (belongs)
            {
                builder.Add(chunkId, owner, isPrivate, vector);
            }
        }, cancellationToken).ConfigureAwait(false);
        return builder.Build();
    }

    // Length-prefixed parts: no user id or model name can make two different keys equal.
    private static string Key(params string[] parts) =>
        string.Join('|', parts.Select(p => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{p.Length}:{p}")));
}
