using TenantRag.Documents;
using TenantRag.Retrieval;
using TenantRag.Tenancy;

namespace TenantRag.Integration.Tests.Retrieval;

/// <summary>The real search store, counting what its sessions load: partitions from their chunks, and snapshots read.</summary>
internal sealed class CountingSearchStore(ISearchStore inner) : ISearchStore
{
    private int _tenantLoads;
    private int _privateLoads;
    private int _snapshotReads;

    /// <summary>Loads of the tenant-wide partition from its chunks (vectors and terms count one each).</summary>
    public int TenantLoads => _tenantLoads;

    /// <summary>Loads of a private partition from its chunks.</summary>
    public int PrivateLoads => _privateLoads;

    /// <summary>Snapshot reads that found a snapshot at the version asked for.</summary>
    public int SnapshotReads => _snapshotReads;

    public void Reset()
    {
        _tenantLoads = 0;
        _privateLoads = 0;
        _snapshotReads = 0;
    }

    public async Task<ISearchSession> OpenAsync(TenantContext context, CancellationToken cancellationToken = default) =>
        new Session(this, await inner.OpenAsync(context, cancellationToken));

    private void Loaded(IndexPartition partition) => Interlocked.Increment(ref partition == IndexPartition.Tenant ? ref _tenantLoads : ref _privateLoads);

    private sealed class Session(CountingSearchStore owner, ISearchSession inner) : ISearchSession
    {
        public TenantContext Context => inner.Context;

        public string TenantId => inner.TenantId;

        public Task<SearchStart> StartAsync(string? lexicalQuery, CancellationToken cancellationToken = default) => inner.StartAsync(lexicalQuery, cancellationToken);

        public Task<IReadOnlyList<(EmbeddingModel Model, long Chunks)>> EmbeddingModelsAsync(CancellationToken cancellationToken = default) =>
            inner.EmbeddingModelsAsync(cancellationToken);

        public Task<IReadOnlyList<EmbeddingModel>> DistinctEmbeddingModelsAsync(CancellationToken cancellationToken = default) =>
            inner.DistinctEmbeddingModelsAsync(cancellationToken);

        public Task<int> LoadVectorsAsync(IndexPartition partition, EmbeddingModel model, Action<long, string, bool, float[]> sink, CancellationToken cancellationToken = default)
        {
            owner.Loaded(partition);
            return inner.LoadVectorsAsync(partition, model, sink, cancellationToken);
        }

        public Task<int> LoadTermsAsync(IndexPartition partition, Action<ChunkTerms> sink, CancellationToken cancellationToken = default)
        {
            owner.Loaded(partition);
            return inner.LoadTermsAsync(partition, sink, cancellationToken);
        }

        public async Task<byte[]?> ReadSnapshotAsync(IndexSnapshotKey key, long dataVersion, CancellationToken cancellationToken = default)
        {
            var bytes = await inner.ReadSnapshotAsync(key, dataVersion, cancellationToken);
            if (bytes is not null)
            {
                Interlocked.Increment(ref owner._snapshotReads);
            }

            return bytes;
        }

        public Task<IReadOnlyList<ChunkDetails>> GetChunksAsync(IReadOnlyList<long> ids, CancellationToken cancellationToken = default) =>
            inner.GetChunksAsync(ids, cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
