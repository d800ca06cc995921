using NpgsqlTypes;
using TenantRag.Postgres.Tenancy;
using TenantRag.Retrieval;
using TenantRag.Tenancy;

namespace TenantRag.Postgres.Documents;

/// <summary>
/// The tenants' persisted retrieval index snapshots (<c>public.index_snapshots</c>, 012_index_snapshots.sql): read in a
/// search session, written in a tenant session of the caller, so row-level security decides whose row either touches.
/// </summary>
public sealed class IndexSnapshotStore(TenantConnectionFactory sessions) : IIndexSnapshotStore
{
    private const string KeyFilter = "tenant_id = $1 AND partition = 'tenant' AND index_kind = $2 AND embedding_model = $3 AND embedding_dims = $4";

    /// <summary>The snapshot's bytes if it was built at <paramref name="dataVersion"/>; null otherwise. One statement.</summary>
    public static async Task<byte[]?> ReadAsync(TenantSession session, IndexSnapshotKey key, long dataVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        await using var cmd = session.CreateCommand($"SELECT bytes FROM public.index_snapshots WHERE {KeyFilter} AND data_version = $5");
        AddKey(cmd.Parameters, session.TenantId, key);
        cmd.Parameters.Add(new() { Value = dataVersion });
        await using var reader = await cmd.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? reader.GetFieldValue<byte[]>(0) : null;
    }

    /// <inheritdoc />
    public async Task<bool> WriteAsync(TenantContext context, IndexSnapshotKey key, long dataVersion, int rows, ReadOnlyMemory<byte> bytes,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        return await sessions.WriteAsync(context, async (session, token) =>
        {
            // Only while the version is still current (a write of the tenant's chunks since the build makes the snapshot
            // useless: versions never repeat), and never over a snapshot of a newer version; over one of the same version
            // only when its header (magic, format version, kind: the first 8 bytes) differs, i.e. an older release wrote it.
            await using var cmd = session.CreateCommand("""
                INSERT INTO public.index_snapshots AS s (tenant_id, index_kind, embedding_model, embedding_dims, data_version, row_count, bytes)
                SELECT $1, $2, $3, $4, $5, $6, $7
                WHERE $5 = (SELECT version FROM public.tenant_data_versions WHERE tenant_id = $1)
                ON CONFLICT (tenant_id, partition, index_kind, embedding_model, embedding_dims) DO UPDATE
                    SET data_version = excluded.data_version, row_count = excluded.row_count, bytes = excluded.bytes, built_at = now()
                    WHERE s.data_version < excluded.data_version
                       OR (s.data_version = excluded.data_version AND substring(s.bytes FROM 1 FOR 8) IS DISTINCT FROM substring(excluded.bytes FROM 1 FOR 8))
                """);
            AddKey(cmd.Parameters, session.TenantId, key);
            cmd.Parameters.Add(new() { Value = dataVersion });
            cmd.Parameters.Add(new() { Value = rows });
            cmd.Parameters.Add(new() { Value = bytes, NpgsqlDbType = NpgsqlDbType.Bytea });
            return await cmd.ExecuteNonQueryAsync(token).ConfigureAwait(false) > 0;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<int> DeleteAsync(TenantContext context, CancellationToken cancellationToken = default) =>
        sessions.WriteAsync(context, async (session, token) =>
        {
            await using var cmd = session.CreateCommand("DELETE FROM public.index_snapshots WHERE tenant_id = $1");
            cmd.Parameters.Add(new() { Value = session.TenantId });
            return await cmd.ExecuteNonQueryAsync(token).ConfigureAwait(false);
        }, cancellationToken);

    private static void AddKey(Npgsql.NpgsqlParameterCollection parameters, string tenantId, IndexSnapshotKey key)
    {
        parameters.Add(new() { Value = tenantId });
        parameters.Add(new() { Value = key.Kind });
        parameters.Add(new() { Value = key.Model?.Name ?? string.Empty });
        parameters.Add(new() { Value = key.Model?.Dimensions ?? 0 });
    }
}
