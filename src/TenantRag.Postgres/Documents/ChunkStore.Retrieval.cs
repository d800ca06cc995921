using Npgsql;
using NpgsqlTypes;
using TenantRag.Documents;
using TenantRag.Postgres.Tenancy;
using TenantRag.Retrieval;

namespace TenantRag.Postgres.Documents;

public static partial class ChunkStore
{
    /// <summary>
    /// The tenant's data version (it grows with every write to its chunks, by any process) and, when
    /// <paramref name="lexicalQuery"/> is given, the query's distinct normalised terms: the same English configuration
    /// (stemming, stop words) that makes the chunks' <c>tsv</c> column, so a query word matches the chunk words it
    /// should. One statement, one round trip.
    /// </summary>
    public static async Task<SearchStart> StartSearchAsync(TenantSession session, string? lexicalQuery, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        await using var cmd = session.CreateCommand("""
            SELECT coalesce((SELECT version FROM public.tenant_data_versions WHERE tenant_id = $1), 0),
                   CASE WHEN $2::text IS NULL THEN NULL ELSE tsvector_to_array(to_tsvector('english', $2::text)) END
            """);
        cmd.Parameters.Add(new() { Value = session.TenantId });
        cmd.Parameters.Add(new() { Value = (object?)lexicalQuery ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var version = reader.GetInt64(0);
        var terms = reader.IsDBNull(1) ? null : reader.GetFieldValue<string[]>(1);
        return new SearchStart(version, terms);
    }

    /// <summary>
    /// The distinct embedding models of the chunks the session can see (normally one), without counting them: one probe
    /// of <c>chunks_tenant_model_idx</c> per model (a loose index scan), under row-level security like every read.
    /// </summary>
    public static async Task<IReadOnlyList<EmbeddingModel>> DistinctEmbeddingModelsAsync(TenantSession session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        await using var cmd = session.CreateCommand("""
            WITH RECURSIVE models AS (
                (SELECT embedding_model, embedding_dims FROM public.chunks
                 WHERE tenant_id = $1 AND embedding IS NOT NULL
                 ORDER BY embedding_model, embedding_dims LIMIT 1)
                UNION ALL
                SELECT next.embedding_model, next.embedding_dims FROM models m
                CROSS JOIN LATERAL (
                    SELECT c.embedding_model, c.embedding_dims FROM public.chunks c
                    WHERE c.tenant_id = $1 AND c.embedding IS NOT NULL
                      AND (c.embedding_model, c.embedding_dims) > (m.embedding_model, m.embedding_dims)
                    ORDER BY c.embedding_model, c.embedding_dims LIMIT 1) next
            )
            SELECT embedding_model, embedding_dims FROM models
            """);
        cmd.Parameters.Add(new() { Value = session.TenantId });
        var models = new List<EmbeddingModel>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            models.Add(new EmbeddingModel(reader.GetString(0), reader.GetInt32(1)));
        }

        return models;
    }

    /// <summary>The embedding models of the chunks the session can see (normally one), with chunk counts (reads every row).</summary>
    public static async Task<IReadOnlyList<(EmbeddingModel Model, long Chunks)>> EmbeddingModelsAsync(TenantSession session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        await using var cmd = session.CreateCommand("""
            SELECT embedding_model, embedding_dims, count(*) FROM public.chunks
            WHERE tenant_id = $1 AND embedding IS NOT NULL GROUP BY 1, 2 ORDER BY 3 DESC
            """);
        cmd.Parameters.Add(new() { Value = session.TenantId });
        var models = new List<(EmbeddingModel, long)>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            models.Add((new EmbeddingModel(reader.GetString(0), reader.GetInt32(1)), reader.GetInt64(2)));
        }

        return models;
    }

    // Which of the rows the session may see belong in a partition (the policies decide what it may see at all).
    private static string PartitionFilter(IndexPartition partition) => partition == IndexPartition.Tenant
        ? "visibility = 'tenant'"
        : "visibility = 'private' AND owner_id = (SELECT auth.user_id())";

    /// <summary>
    /// Streams one partition of the tenant's vectors of <paramref name="model"/> through the session (so row-level
    /// security decides what is loaded) into <paramref name="sink"/>: chunk id, owner, private flag, vector.
    /// </summary>
    public static async Task<int> LoadVectorsAsync(TenantSession session, IndexPartition partition, EmbeddingModel model,
        Action<long, string, bool, float[]> sink, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(sink);
        await using var cmd = session.CreateCommand($"""
            SELECT id, owner_id, visibility = 'private', embedding FROM public.chunks
            WHERE tenant_id = $1 AND {PartitionFilter(partition)} AND embedding_model = $2 AND embedding_dims = $3
            """);
        cmd.Parameters.Add(new() { Value = session.TenantId });
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
    /// Streams one partition of the tenant's chunks with their full-text terms through the session (so row-level
    /// security decides what is loaded) into <paramref name="sink"/>, the terms read from the stored <c>tsv</c> column.
    /// </summary>
    public static async Task<int> LoadTermsAsync(TenantSession session, IndexPartition partition, Action<ChunkTerms> sink, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(sink);
        await using var cmd = session.CreateCommand($"""
            SELECT id, owner_id, visibility = 'private', tsv FROM public.chunks
            WHERE tenant_id = $1 AND {PartitionFilter(partition)}
            """);
        cmd.Parameters.Add(new() { Value = session.TenantId });
        var count = 0;
        await using var reader = await cmd.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var id = reader.GetInt64(0);
            var owner = reader.GetString(1);
            var isPrivate = reader.GetBoolean(2);
            var tsv = reader.GetFieldValue<NpgsqlTsVector>(3);
            var terms = new (string, float)[tsv.Count];
            for (var i = 0; i < terms.Length; i++)
            {
                terms[i] = (tsv[i].Text, TermFrequency(tsv[i]));
            }

            sink(new ChunkTerms(id, owner, isPrivate, tsv.Count, terms));
            count++;
        }

        return count;
    }

    // How strongly a chunk holds a lexeme, in body occurrences (ChunkTerms documents it): the heaviest occurrence counts
    // fully and the one at place j adds its weight / j², as PostgreSQL's ts_rank scores a one-word query (there with
    // weights {D 0.1, C 0.2, B 0.4, A 1.0}; divided here by the weight of text, B, which the chunks' text has and their
    // heading has A). A lexeme stored without positions counts as one occurrence of weight D.
    private static float TermFrequency(NpgsqlTsVector.Lexeme lexeme)
    {
        if (lexeme.Count == 0)
        {
            return WeightOf(NpgsqlTsVector.Lexeme.Weight.D);
        }

        float sum = 0f, heaviest = -1f;
        var heaviestAt = 0;
        for (var j = 0; j < lexeme.Count; j++)
        {
            var weight = WeightOf(lexeme[j].Weight);
            sum += weight / ((j + 1) * (j + 1));
            if (weight > heaviest)
            {
                heaviest = weight;
                heaviestAt = j;
            }
        }

        return heaviest + sum - (heaviest / ((heaviestAt + 1) * (heaviestAt + 1)));
    }

    private static float WeightOf(NpgsqlTsVector.Lexeme.Weight weight) => weight switch
    {
        NpgsqlTsVector.Lexeme.Weight.A => 2.5f,
        NpgsqlTsVector.Lexeme.Weight.B => 1f,
        NpgsqlTsVector.Lexeme.Weight.C => 0.5f,
        _ => 0.25f,
    };

    // The columns ReadChunkDetails maps, in its order; the query joins chunks c with their documents d.
    private const string ChunkDetailsColumns = "c.id, c.document_id, d.title, d.source, d.external_id, c.ordinal, c.heading, c.content, c.visibility";

    private static ChunkDetails ReadChunkDetails(NpgsqlDataReader reader) => new()
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

    /// <summary>The chunks with these ids that the session may see, with their documents, in the order of <paramref name="ids"/>.</summary>
    public static async Task<IReadOnlyList<ChunkDetails>> GetChunksAsync(TenantSession session, IReadOnlyList<long> ids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        await using var cmd = session.CreateCommand($"""
            SELECT {ChunkDetailsColumns}
            FROM public.chunks c JOIN public.documents d ON d.id = c.document_id
            WHERE c.tenant_id = $1 AND d.tenant_id = $1 AND c.id = ANY($2)
            """);
        cmd.Parameters.Add(new() { Value = session.TenantId });
        cmd.Parameters.Add(new() { Value = ids.ToArray() });
        var byId = new Dictionary<long, ChunkDetails>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            byId[reader.GetInt64(0)] = ReadChunkDetails(reader);
        }

        return [.. ids.Where(byId.ContainsKey).Select(id => byId[id])];
    }

    /// <summary>Deletes one of the session user's documents (with its chunks); false when there is none it may delete.</summary>
    public static async Task<bool> DeleteDocumentAsync(TenantSession session, Guid id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        await using var cmd = session.CreateCommand("DELETE FROM public.documents WHERE tenant_id = $1 AND id = $2");
        cmd.Parameters.Add(new() { Value = session.TenantId });
        cmd.Parameters.Add(new() { Value = id });
        return await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
    }
}
