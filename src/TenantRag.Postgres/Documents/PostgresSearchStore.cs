using TenantRag.Documents;
using TenantRag.Postgres.Tenancy;
using TenantRag.Retrieval;
using TenantRag.Tenancy;

namespace TenantRag.Postgres.Documents;

/// <summary><see cref="ISearchStore"/> on PostgreSQL: a search session is one read transaction in the tenant session.</summary>
public sealed class PostgresSearchStore(TenantConnectionFactory sessions) : ISearchStore
{
    /// <inheritdoc />
    public async Task<ISearchSession> OpenAsync(TenantContext context, CancellationToken cancellationToken = default) =>
        new Session(await sessions.OpenSessionAsync(context, cancellationToken).ConfigureAwait(false));

    private sealed class Session(TenantSession session) : ISearchSession
    {
        public TenantContext Context => session.Context;

        public string TenantId => session.TenantId;

        public Task<SearchStart> StartAsync(string? lexicalQuery, CancellationToken cancellationToken = default) =>
            ChunkStore.StartSearchAsync(session, lexicalQuery, cancellationToken);

        public Task<IReadOnlyList<(EmbeddingModel Model, long Chunks)>> EmbeddingModelsAsync(CancellationToken cancellationToken = default) =>
            ChunkStore.EmbeddingModelsAsync(session, cancellationToken);

        public Task<int> LoadVectorsAsync(IndexPartition partition, EmbeddingModel model, Action<long, string, bool, float[]> sink, CancellationToken cancellationToken = default) =>
            ChunkStore.LoadVectorsAsync(session, partition, model, sink, cancellationToken);

        public Task<int> LoadTermsAsync(IndexPartition partition, Action<ChunkTerms> sink, CancellationToken cancellationToken = default) =>
            ChunkStore.LoadTermsAsync(session, partition, sink, cancellationToken);

        public Task<byte[]?> ReadSnapshotAsync(IndexSnapshotKey key, long dataVersion, CancellationToken cancellationToken = default) =>
            IndexSnapshotStore.ReadAsync(session, key, dataVersion, cancellationToken);

        public Task<IReadOnlyList<ChunkDetails>> GetChunksAsync(IReadOnlyList<long> ids, CancellationToken cancellationToken = default) =>
            ChunkStore.GetChunksAsync(session, ids, cancellationToken);

        public ValueTask DisposeAsync() => session.DisposeAsync();
    }
}
