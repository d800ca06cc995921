using TenantRag.Tenancy;

namespace TenantRag.Retrieval;

/// <summary>
/// Writes a tenant's persisted index snapshots (read back in a search session with
/// <see cref="ISearchSession.ReadSnapshotAsync"/>), in a tenant session of the caller, so row-level security decides
/// which tenant's row is written.
/// </summary>
public interface IIndexSnapshotStore
{
    /// <summary>
    /// Stores the snapshot <paramref name="key"/> built at <paramref name="dataVersion"/>, replacing an older one (or one of
    /// the same version whose first 8 bytes, its format header, differ), but only while that is still the tenant's
    /// current data version (a snapshot of an older version could never be used).
    /// </summary>
    /// <param name="context">A user of the tenant.</param>
    /// <param name="key">Which index.</param>
    /// <param name="dataVersion">The data version the index was built at.</param>
    /// <param name="rows">How many chunks it holds.</param>
    /// <param name="bytes">The serialized index.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns><see langword="true"/> if it was stored; <see langword="false"/> if the tenant's data changed meanwhile.</returns>
    Task<bool> WriteAsync(TenantContext context, IndexSnapshotKey key, long dataVersion, int rows, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default);

    /// <summary>Deletes every snapshot of the tenant (it shrank below the size worth one); returns how many.</summary>
    /// <param name="context">A user of the tenant.</param>
    /// <param name="cancellationToken">Cancels the delete.</param>
    Task<int> DeleteAsync(TenantContext context, CancellationToken cancellationToken = default);
}
