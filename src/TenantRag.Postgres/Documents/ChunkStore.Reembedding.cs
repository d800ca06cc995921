using Npgsql;
using NpgsqlTypes;
using TenantRag.Documents;
using TenantRag.Postgres.Tenancy;

namespace TenantRag.Postgres.Documents;

public static partial class ChunkStore
{
    private const string WithoutVectorOf = "(c.embedding IS NULL OR c.embedding_model IS DISTINCT FROM $2 OR c.embedding_dims IS DISTINCT FROM $3)";

    /// <summary>
    /// Owners of the tenant's chunks that have no vector of <paramref name="model"/>, read through an administrative
    /// data source (past row-level security, which is the point: a tenant session cannot see other users' private rows).
    /// </summary>
    public static async Task<IReadOnlyList<string>> OwnersToReembedAsync(NpgsqlDataSource admin, string tenant, EmbeddingModel model, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(admin);
        await using var cmd = admin.CreateCommand($"SELECT DISTINCT c.owner_id FROM public.chunks c WHERE c.tenant_id = $1 AND {WithoutVectorOf} ORDER BY 1");
        cmd.Parameters.Add(new() { Value = tenant });
        cmd.Parameters.Add(new() { Value = model.Name });
        cmd.Parameters.Add(new() { Value = model.Dimensions });
        var owners = new List<string>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            owners.Add(reader.GetString(0));
        }

        return owners;
    }

    /// <summary>The session user's own chunks after <paramref name="afterChunkId"/> that have no vector of <paramref name="model"/>, by id.</summary>
    public static async Task<IReadOnlyList<ChunkDetails>> ChunksToReembedAsync(TenantSession session, EmbeddingModel model, long afterChunkId, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        await using var cmd = session.CreateCommand($"""
            SELECT {ChunkDetailsColumns}
            FROM public.chunks c JOIN public.documents d ON d.id = c.document_id
            WHERE c.tenant_id = $1 AND d.tenant_id = $1 AND c.owner_id = (SELECT auth.user_id()) AND {WithoutVectorOf} AND c.id > $4
            ORDER BY c.id LIMIT $5
            """);
        cmd.Parameters.Add(new() { Value = session.TenantId });
        cmd.Parameters.Add(new() { Value = model.Name });
        cmd.Parameters.Add(new() { Value = model.Dimensions });
        cmd.Parameters.Add(new() { Value = afterChunkId });
        cmd.Parameters.Add(new() { Value = limit });
        var chunks = new List<ChunkDetails>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            chunks.Add(ReadChunkDetails(reader));
        }

        return chunks;
    }

    /// <summary>Sets vectors of <paramref name="model"/> and content hashes on the session user's own chunks; returns the rows updated.</summary>
    public static async Task<int> StoreEmbeddingsAsync(TenantSession session, EmbeddingModel model,
        IReadOnlyList<(long ChunkId, ReadOnlyMemory<float> Vector, string ContentHash)> embeddings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(embeddings);
        foreach (var (chunkId, vector, _) in embeddings)
        {
            if (vector.Length != model.Dimensions)
            {
                throw new ArgumentException($"chunk {chunkId} has a {vector.Length}-dimension vector but the model is {model}", nameof(embeddings));
            }
        }

        await using var cmd = session.CreateCommand("""
            UPDATE public.chunks c SET embedding = u.embedding, embedding_model = $2, embedding_dims = $3, content_hash = u.content_hash
            FROM unnest($4::bigint[], $5::bytea[], $6::text[]) AS u(id, embedding, content_hash)
            WHERE c.tenant_id = $1 AND c.owner_id = (SELECT auth.user_id()) AND c.id = u.id
            """);
        cmd.Parameters.Add(new() { Value = session.TenantId });
        cmd.Parameters.Add(new() { Value = model.Name });
        cmd.Parameters.Add(new() { Value = model.Dimensions });
        cmd.Parameters.Add(new() { Value = embeddings.Select(e => e.ChunkId).ToArray() });
        cmd.Parameters.Add(new() { Value = embeddings.Select(e => ToBytes(e.Vector.Span)).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea });
        cmd.Parameters.Add(new() { Value = embeddings.Select(e => e.ContentHash).ToArray() });
        return await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
