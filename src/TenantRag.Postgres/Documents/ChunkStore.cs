using System.Runtime.InteropServices;
using Npgsql;
using NpgsqlTypes;
using TenantRag.Documents;
using TenantRag.Postgres.Tenancy;

namespace TenantRag.Postgres.Documents;

/// <summary>
/// Documents and chunks of the session's tenant: storing, replacing, and reading them for retrieval. Every statement
/// runs in the caller's tenant session (row-level security applies) and names the tenant in its WHERE clause too.
/// </summary>
public static partial class ChunkStore
{
    // A document stored before its extracted text was kept (migration 007) counts as stored with no hash: ingesting its
    // file again replaces it, and so stores its text, instead of skipping it as unchanged.
    private const string StoredHash = "CASE WHEN extracted_text IS NOT NULL THEN content_hash END";

    /// <summary>The content hash of the session user's document from <paramref name="source"/>, or null.</summary>
    public static async Task<string?> FindContentHashAsync(TenantSession session, string source, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        await using var cmd = session.CreateCommand($"""
            SELECT {StoredHash} FROM public.documents
            WHERE tenant_id = $1 AND owner_id = (SELECT auth.user_id()) AND source = $2
            """);
        cmd.Parameters.Add(new() { Value = session.TenantId });
        cmd.Parameters.Add(new() { Value = source });
        return await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
    }

    /// <summary>The content hashes of the session user's documents from any of <paramref name="sources"/>, by source.</summary>
    public static async Task<Dictionary<string, string>> FindContentHashesAsync(TenantSession session, IReadOnlyCollection<string> sources, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(sources);
        var found = new Dictionary<string, string>(StringComparer.Ordinal);
        if (sources.Count == 0)
        {
            return found;
        }

        await using var cmd = session.CreateCommand("""
            SELECT source, content_hash FROM public.documents
            WHERE tenant_id = $1 AND owner_id = (SELECT auth.user_id()) AND source = ANY($2) AND extracted_text IS NOT NULL
            """);
        cmd.Parameters.Add(new() { Value = session.TenantId });
        cmd.Parameters.Add(new() { Value = sources.ToArray() });
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            found[reader.GetString(0)] = reader.GetString(1);
        }

        return found;
    }

    /// <summary>Stored vectors of <paramref name="model"/> for any of <paramref name="contentHashes"/> the session can see.</summary>
    public static async Task<Dictionary<string, float[]>> FindEmbeddingsAsync(TenantSession session, IReadOnlyCollection<string> contentHashes,
        EmbeddingModel model, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        var found = new Dictionary<string, float[]>(StringComparer.Ordinal);
        if (contentHashes.Count == 0)
        {
            return found;
        }

        await using var cmd = session.CreateCommand("""
            SELECT DISTINCT ON (content_hash) content_hash, embedding FROM public.chunks
            WHERE tenant_id = $1 AND content_hash = ANY($2) AND embedding_model = $3 AND embedding_dims = $4
            """);
        cmd.Parameters.Add(new() { Value = session.TenantId });
        cmd.Parameters.Add(new() { Value = contentHashes.ToArray() });
        cmd.Parameters.Add(new() { Value = model.Name });
        cmd.Parameters.Add(new() { Value = model.Dimensions });
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            found[reader.GetString(0)] = FromBytes(reader.GetFieldValue<byte[]>(1));
        }

        return found;
    }

    /// <summary>
    /// Stores a document with its chunks, owned by the session's user. The same source with the same content hash is a
    /// no-op; with another hash the old document and its chunks are replaced. Atomic with the session's transaction:
    /// the caller commits.
    /// </summary>
    public static async Task<(Guid Id, StoreOutcome Outcome)> StoreAsync(TenantSession session, NewDocument document, IReadOnlyList<NewChunk> chunks,
        EmbeddingModel? model, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(chunks);

        // Lock the existing row (if any) so two ingests of one source take turns; the unique index settles a race
        // between two first ingests.
        Guid? existingId = null;
        await using (var find = session.CreateCommand($"""
            SELECT id, {StoredHash} FROM public.documents
            WHERE tenant_id = $1 AND owner_id = (SELECT auth.user_id()) AND source = $2 FOR UPDATE
            """))
        {
            find.Parameters.Add(new() { Value = session.TenantId });
            find.Parameters.Add(new() { Value = document.Source });
            await using var reader = await find.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                existingId = reader.GetGuid(0);
                if (!reader.IsDBNull(1) && reader.GetString(1) == document.ContentHash)
                {
                    return (existingId.Value, StoreOutcome.Unchanged);
                }
            }
        }

        if (existingId is { } oldId)
        {
            await using var delete = session.CreateCommand("DELETE FROM public.documents WHERE tenant_id = $1 AND id = $2");
            delete.Parameters.Add(new() { Value = session.TenantId });
            delete.Parameters.Add(new() { Value = oldId });
            await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        Guid id;
        await using (var insert = session.CreateCommand("""
            INSERT INTO public.documents (title, source, external_id, content_hash, content_type, byte_size, visibility, file_name, extracted_text)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id
            """))
        {
            insert.Parameters.Add(new() { Value = document.Title });
            insert.Parameters.Add(new() { Value = document.Source });
            insert.Parameters.Add(new() { Value = (object?)document.ExternalId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            insert.Parameters.Add(new() { Value = document.ContentHash });
            insert.Parameters.Add(new() { Value = document.ContentType });
            insert.Parameters.Add(new() { Value = document.ByteSize });
            insert.Parameters.Add(new() { Value = document.Visibility.ToName() });
            insert.Parameters.Add(new() { Value = (object?)document.FileName ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            insert.Parameters.Add(new() { Value = (object?)document.Text ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            id = (Guid)(await insert.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }

        if (chunks.Count > 0)
        {
            await InsertChunksAsync(session, id, document.Visibility, chunks, model, cancellationToken).ConfigureAwait(false);
        }

        return (id, existingId is null ? StoreOutcome.Added : StoreOutcome.Replaced);
    }

    private static async Task InsertChunksAsync(TenantSession session, Guid documentId, DocumentVisibility visibility, IReadOnlyList<NewChunk> chunks,
        EmbeddingModel? model, CancellationToken cancellationToken)
    {
        var embeddings = new byte[]?[chunks.Count];
        for (var i = 0; i < chunks.Count; i++)
        {
            if (chunks[i].Embedding is { } vector)
            {
                if (model is not { } m || vector.Length != m.Dimensions)
                {
                    throw new ArgumentException($"chunk {chunks[i].Ordinal} has a {vector.Length}-dimension vector but the model is {model?.ToString() ?? "not named"}", nameof(chunks));
                }

                embeddings[i] = ToBytes(vector.Span);
            }
        }

        // One statement for all chunks: arrays unnested server-side.
        await using var cmd = session.CreateCommand("""
            INSERT INTO public.chunks (document_id, visibility, ordinal, heading, content, token_count, content_hash, embedding, embedding_model, embedding_dims)
            SELECT $1, $2, u.ordinal, u.heading, u.content, u.token_count, u.content_hash, u.embedding,
                   CASE WHEN u.embedding IS NULL THEN NULL ELSE $9 END, CASE WHEN u.embedding IS NULL THEN NULL ELSE $10 END
            FROM unnest($3::int[], $4::text[], $5::text[], $6::int[], $7::text[], $8::bytea[])
                AS u(ordinal, heading, content, token_count, content_hash, embedding)
            """);
        cmd.Parameters.Add(new() { Value = documentId });
        cmd.Parameters.Add(new() { Value = visibility.ToName() });
        cmd.Parameters.Add(new() { Value = chunks.Select(c => c.Ordinal).ToArray() });
        cmd.Parameters.Add(new() { Value = chunks.Select(c => c.Heading).ToArray() });
        cmd.Parameters.Add(new() { Value = chunks.Select(c => c.Content).ToArray() });
        cmd.Parameters.Add(new() { Value = chunks.Select(c => c.TokenCount).ToArray() });
        cmd.Parameters.Add(new() { Value = chunks.Select(c => c.ContentHash).ToArray() });
        cmd.Parameters.Add(new() { Value = embeddings, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea });
        cmd.Parameters.Add(new() { Value = (object?)model?.Name ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new() { Value = (object?)model?.Dimensions ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Little-endian float32 bytes, as stored in <c>chunks.embedding</c>.</summary>
    public static byte[] ToBytes(ReadOnlySpan<float> vector) => MemoryMarshal.AsBytes(vector).ToArray();

    /// <summary>The vector stored in <c>chunks.embedding</c>.</summary>
    public static float[] FromBytes(ReadOnlySpan<byte> bytes) => MemoryMarshal.Cast<byte, float>(bytes).ToArray();
}
