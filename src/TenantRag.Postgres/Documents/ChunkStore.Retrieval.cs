using Npgsql;
using TenantRag.Documents;
using TenantRag.Postgres.Tenancy;
using TenantRag.Retrieval;

namespace TenantRag.Postgres.Documents;

public static partial class ChunkStore
{
    /// <summary>The tenant's data version: it grows with every write to its chunks (by any process).</summary>
    public static async Task<long> DataVersionAsync(TenantSession session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        await using var cmd = session.CreateCommand("SELECT coalesce((SELECT version FROM public.tenant_data_versions WHERE tenant_id = $1), 0)");
        cmd.Parameters.Add(new() { Value = session.Context.Tenant.Value });
        return (long)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>The embedding models of the chunks the session can see (normally one), with chunk counts.</summary>
    public static async Task<IReadOnlyList<(EmbeddingModel Model, long Chunks)>> EmbeddingModelsAsync(TenantSession session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        await using var cmd = session.CreateCommand("""
            SELECT embedding_model, embedding_dims, count(*) FROM public.chunks
            WHERE tenant_id = $1 AND embedding IS NOT NULL GROUP BY 1, 2 ORDER BY 3 DESC
            """);
        cmd.Parameters.Add(new() { Value = session.Context.Tenant.Value });
        var models = new List<(EmbeddingModel, long)>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            models.Add((new EmbeddingModel(reader.GetString(0), reader.GetInt32(1)), reader.GetInt64(2)));
        }

        return models;
    }

    /// <summary>
    /// Streams one partition of the tenant's vectors of <paramref name="model"/> through the session (so row-level
    /// security decides what is loaded) into <paramref name="sink"/>: chunk id, owner, private flag, vector.
    /// </summary>
    public static async Task<int> LoadVectorsAsync(TenantSession session, VectorPartition partition, EmbeddingModel model,
        Action<long, string, bool, float[]> sink, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(sink);
        var filter = partition == VectorPartition.Tenant
            ? "visibility = 'tenant'"
            : "visibility = 'private' AND owner_id = (SELECT auth.user_id())";
        await using var cmd = session.CreateCommand($"""
            SELECT id, owner_id, visibility = 'private', embedding FROM public.chunks
            WHERE tenant_id = $1 AND {filter} AND embedding_model = $2 AND embedding_dims = $3
            """);
        cmd.Parameters.Add(new() { Value = session.Context.Tenant.Value });
        cmd.Parameters.Add(new() { Value = model.Name });
        cmd.Parameters.Add(new() { Value = model.Dimensions });
        var count = 0;
        await using var reader = await cmd.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var id = reader.GetInt64(0);
            var owner = reader.GetString(1);
            var isPrivate = reader.GetBoolean(2);
            sink(id, owner, isPrivate, FromBytes(reader.GetFieldValue<byte[]>(3)));
            count++;
        }

        return count;
    }

    /// <summary>
    /// Full-text search with OR semantics: any stemmed query word may match (a plain <c>websearch_to_tsquery</c>
    /// requires all of them and loses recall on questions), ranked by <c>ts_rank_cd</c> with title words weighted up.
    /// </summary>
    public static async Task<IReadOnlyList<(long ChunkId, float Score)>> LexicalSearchAsync(TenantSession session, string query, int k, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        await using var cmd = session.CreateCommand("""
            WITH q AS (
                SELECT to_tsquery('simple', string_agg(quote_literal(lexeme), ' | ')) AS query
                FROM unnest(tsvector_to_array(to_tsvector('english', $2))) AS lexeme)
            SELECT c.id, ts_rank_cd('{0.1, 0.2, 0.4, 1.0}', c.tsv, q.query, 1)::real AS score
            FROM public.chunks c, q
            WHERE c.tenant_id = $1 AND q.query IS NOT NULL AND c.tsv @@ q.query
            ORDER BY score DESC, c.id
            LIMIT $3
            """);
        cmd.Parameters.Add(new() { Value = session.Context.Tenant.Value });
        cmd.Parameters.Add(new() { Value = query });
        cmd.Parameters.Add(new() { Value = k });
        var hits = new List<(long, float)>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            hits.Add((reader.GetInt64(0), reader.GetFloat(1)));
        }

        return hits;
    }

    /// <summary>The chunks with these ids that the session may see, with their documents, in the order of <paramref name="ids"/>.</summary>
    public static async Task<IReadOnlyList<ChunkDetails>> GetChunksAsync(TenantSession session, IReadOnlyList<long> ids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        await using var cmd = session.CreateCommand("""
            SELECT c.id, c.document_id, d.title, d.source, d.external_id, c.ordinal, c.heading, c.content, c.visibility
            FROM public.chunks c JOIN public.documents d ON d.id = c.document_id
            WHERE c.tenant_id = $1 AND d.tenant_id = $1 AND c.id = ANY($2)
            """);
        cmd.Parameters.Add(new() { Value = session.Context.Tenant.Value });
        cmd.Parameters.Add(new() { Value = ids.ToArray() });
        var byId = new Dictionary<long, ChunkDetails>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            byId[reader.GetInt64(0)] = new ChunkDetails
            {
                Id = reader.GetInt64(0),
                DocumentId = reader.GetGuid(1),
                DocumentTitle = reader.GetString(2),
                Source = reader.IsDBNull(3) ? null : reader.GetString(3),
                ExternalId = reader.IsDBNull(4) ? null : reader.GetString(4),
                Ordinal = reader.GetInt32(5),
                Heading = reader.GetString(6),
                Content = reader.GetString(7),
                Visibility = DocumentVisibilities.Parse(reader.GetString(8)),
            };
        }

        return [.. ids.Where(byId.ContainsKey).Select(id => byId[id])];
    }

    /// <summary>Deletes one of the session user's documents (with its chunks); false when there is none it may delete.</summary>
    public static async Task<bool> DeleteDocumentAsync(TenantSession session, Guid id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        await using var cmd = session.CreateCommand("DELETE FROM public.documents WHERE tenant_id = $1 AND id = $2");
        cmd.Parameters.Add(new() { Value = session.Context.Tenant.Value });
        cmd.Parameters.Add(new() { Value = id });
        return await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
    }
}
