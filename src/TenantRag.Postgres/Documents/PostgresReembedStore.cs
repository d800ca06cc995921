using TenantRag.Documents;
using TenantRag.Postgres.Tenancy;
using TenantRag.Retrieval;
using TenantRag.Tenancy;

namespace TenantRag.Postgres.Documents;

/// <summary>
/// <see cref="IReembedStore"/> on PostgreSQL: chunks are read and updated in the owner's tenant session (row-level
/// security applies); the owners are listed with the admin role on the tenant's database, the one read that must see
/// every user's rows. Use it from operator tools (the command line), never to serve a tenant request.
/// </summary>
public sealed class PostgresReembedStore(TenantRagDatabase database) : IReembedStore
{
    /// <inheritdoc />
    public async Task<IReadOnlyList<UserId>> OwnersToReembedAsync(TenantSlug tenant, EmbeddingModel model, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(database);
        var info = await database.Sessions.ResolveAsync(tenant, cancellationToken).ConfigureAwait(false);
        using var admin = database.Registry.Admin(await database.Sessions.Servers.ForAsync(info, cancellationToken).ConfigureAwait(false), info.Database);
        var owners = await ChunkStore.OwnersToReembedAsync(admin.DataSource, info.Id, model, cancellationToken).ConfigureAwait(false);
        return [.. owners.Select(UserId.Parse)];
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ChunkDetails>> ChunksToReembedAsync(TenantContext context, EmbeddingModel model, long afterChunkId, int limit, CancellationToken cancellationToken = default)
    {
        await using var session = await database.Sessions.OpenSessionAsync(context, cancellationToken).ConfigureAwait(false);
        return await ChunkStore.ChunksToReembedAsync(session, model, afterChunkId, limit, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<int> StoreEmbeddingsAsync(TenantContext context, EmbeddingModel model, IReadOnlyList<(long ChunkId, ReadOnlyMemory<float> Vector, string ContentHash)> embeddings, CancellationToken cancellationToken = default) =>
        database.Sessions.WriteAsync(context, (session, token) => ChunkStore.StoreEmbeddingsAsync(session, model, embeddings, token), cancellationToken);
}
