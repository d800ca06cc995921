using TenantRag.Documents;
using TenantRag.Postgres.Quotas;
using TenantRag.Postgres.Tenancy;
using TenantRag.Retrieval;
using TenantRag.Tenancy;

namespace TenantRag.Postgres.Documents;

/// <summary>
/// <see cref="ISearchStore"/> on PostgreSQL: a search session is one read transaction in the tenant session. Each is
/// one query of the tenant, admitted against its queries-per-day quota (<see cref="QueryQuotaGate"/>) before any work.
/// </summary>
public sealed class PostgresSearchStore(TenantConnectionFactory sessions) : ISearchStore
{
    private readonly QueryQuotaGate _quota = new();

    /// <inheritdoc />
    /// <exception cref="QuotaExceededException">The tenant has used its queries of the day.</exception>
    public async Task<ISearchSession> OpenAsync(TenantContext context, CancellationToken cancellationToken = default)
    {
        var session = await sessions.OpenSessionAsync(context, cancellationToken).ConfigureAwait(false);
        try
        {
            await _quota.AdmitAsync(session, cancellationToken).ConfigureAwait(false);
            return new Session(session);
        }
        catch
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private sealed class Session(TenantSession session) : ISearchSession
    {
        public TenantContext Context => session.Context;

        public string TenantId => session.TenantId;

        public Task<SearchStart> StartAsync(string? lexicalQuery, CancellationToken cancellationToken = default) =>
            ChunkStore.StartSearchAsync(session, lexicalQuery, cancellationToken);

        public Task<IReadOnlyList<(EmbeddingModel Model, long Chunks)>> EmbeddingModelsAsync(CancellationToken cancellationToken = default) =>
            ChunkStore.EmbeddingModelsAsync(session, cancellationToken);

        public Task<IReadOnlyList<EmbeddingModel>> DistinctEmbeddingModelsAsync(CancellationToken cancellationToken = default) =>
            ChunkStore.DistinctEmbeddingModelsAsync(session, cancellationToken);

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
