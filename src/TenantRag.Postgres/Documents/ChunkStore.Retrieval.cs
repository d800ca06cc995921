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
    /// Full-text search with OR semantics (any stemmed query word may match; a plain <c>websearch_to_tsquery</c> requires
    /// all of them and loses recall on questions), ranked BM25-style: each query word scores its inverse document
    /// frequency among the chunks the session can see, times a saturating term frequency (<c>ts_rank</c> of that word
    /// alone, so title words count more) normalised by chunk length (k1 = 0.9, b = 0.3, tuned on the SciFact train split).
    /// </summary>
    /// <remarks>
    /// Under forced row-level security PostgreSQL uses the GIN index for <c>@@</c> only when the operator is marked
    /// LEAKPROOF (a superuser decision; stock PostgreSQL does not): then the words' frequencies are probed through the
    /// index and only chunks holding a selective word (in at most 5% of chunks) are ranked. Otherwise one pass over the
    /// tenant's chunks does all the work.
    /// </remarks>
    public static async Task<IReadOnlyList<(long ChunkId, float Score)>> LexicalSearchAsync(TenantSession session, string query, int k, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        var indexed = await FullTextIndexUsableAsync(session, cancellationToken).ConfigureAwait(false);
        await using var cmd = session.CreateCommand(indexed ? IndexedLexicalSql : ScanningLexicalSql);
        cmd.Parameters.Add(new() { Value = session.Context.Tenant.Value });
        cmd.Parameters.Add(new() { Value = query });
        cmd.Parameters.Add(new() { Value = k });
        if (indexed)
        {
            cmd.Parameters.Add(new() { Value = (double)await VisibleChunkCountAsync(session, cancellationToken).ConfigureAwait(false) });
        }

        // Planning these statements costs milliseconds; prepared, a pooled connection plans each once.
        await cmd.PrepareAsync(cancellationToken).ConfigureAwait(false);
        var hits = new List<(long, float)>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            hits.Add((reader.GetInt64(0), reader.GetFloat(1)));
        }

        return hits;
    }

    // Per database: whether tsvector @@ tsquery is LEAKPROOF, the condition for row-level security to let it use the GIN index.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> LeakproofMatch = new(StringComparer.Ordinal);

    // Per database, tenant and user: the number of chunks the user can see, at a data version. Counting them under
    // row-level security reads every row of the tenant, which would dominate an indexed full-text query.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string Database, string Tenant, string User), (long Version, long Count)> VisibleChunks = new();

    private static async Task<long> VisibleChunkCountAsync(TenantSession session, CancellationToken cancellationToken)
    {
        var version = await DataVersionAsync(session, cancellationToken).ConfigureAwait(false);
        var key = (DatabaseKey(session), session.Context.Tenant.Value, session.Context.User.Value);
        if (VisibleChunks.TryGetValue(key, out var cached) && cached.Version == version)
        {
            return cached.Count;
        }

        await using var cmd = session.CreateCommand("SELECT count(*) FROM public.chunks WHERE tenant_id = $1");
        cmd.Parameters.Add(new() { Value = session.Context.Tenant.Value });
        var count = (long)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        if (VisibleChunks.Count >= 10_000)
        {
            VisibleChunks.Clear();
        }

        VisibleChunks[key] = (version, count);
        return count;
    }

    private static string DatabaseKey(TenantSession session) => $"{session.Connection.Host}:{session.Connection.Port}/{session.Connection.Database}";

    private static async Task<bool> FullTextIndexUsableAsync(TenantSession session, CancellationToken cancellationToken)
    {
        var key = DatabaseKey(session);
        if (LeakproofMatch.TryGetValue(key, out var usable))
        {
            return usable;
        }

        await using var cmd = session.CreateCommand("""
            SELECT p.proleakproof FROM pg_catalog.pg_operator o JOIN pg_catalog.pg_proc p ON p.oid = o.oprcode
            WHERE o.oid = 'pg_catalog.@@(pg_catalog.tsvector, pg_catalog.tsquery)'::pg_catalog.regoperator
            """);
        usable = await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true;
        LeakproofMatch[key] = usable;
        return usable;
    }

    // Both plans score alike. A word's term frequency is ts_rank of that word alone divided by its value for one body occurrence, which saturates with
    // repeats and counts title (weight A) occurrences 2.5 times; length is the number of distinct lexemes (64 on average
    // for ~200-token chunks). "tsv || ''" detoasts a chunk's tsvector once instead of once per word.

    private const string LexicalScore = "sum(w.idf * r.tf * 1.9 / (r.tf + 0.9 * m.norm))::real";

    private const string LexicalTf = "CROSS JOIN LATERAL (SELECT ts_rank('{0.1, 0.2, 0.4, 1.0}', m.tsv, w.tq, 0) / 0.243170664 AS tf) r";

    // With the GIN index ($4 is the visible chunk count): each word's frequency is probed through the index (counting stops at the "common" bound, so a
    // frequent word costs little), and only chunks holding a selective word (or the rarest one) are detoasted and ranked.
    private const string IndexedLexicalSql = $"""
        WITH t AS MATERIALIZED (
            SELECT u.i, u.l AS lexeme, to_tsquery('simple', quote_literal(u.l)) AS tq
            FROM unnest(tsvector_to_array(to_tsvector('english', $2))) WITH ORDINALITY AS u(l, i)),
        n AS MATERIALIZED (SELECT $4::float8 AS n, greatest(0.05 * $4::float8, 100)::int AS common),
        d AS MATERIALIZED (
            SELECT t.i, t.lexeme, t.tq, f.df FROM t CROSS JOIN LATERAL (
                SELECT count(*)::float8 AS df FROM (
                    SELECT 1 FROM public.chunks c WHERE c.tenant_id = $1 AND c.tsv @@ t.tq LIMIT (SELECT common + 1 FROM n)) x) f
            WHERE f.df > 0),
        w AS MATERIALIZED (
            SELECT d.i, d.lexeme, d.tq, ln(1 + (n.n - d.df + 0.5) / (d.df + 0.5)) AS idf,
                   d.df <= n.common OR d.df = min(d.df) OVER () AS selective
            FROM d, n),
        q AS MATERIALIZED (SELECT to_tsquery('simple', string_agg(quote_literal(lexeme), ' | ')) AS query FROM w WHERE selective),
        m AS MATERIALIZED (
            SELECT c.id, c.tsv || ''::tsvector AS tsv, 0.7 + 0.3 * length(c.tsv) / 64.0 AS norm
            FROM public.chunks c, q WHERE c.tenant_id = $1 AND q.query IS NOT NULL AND c.tsv @@ q.query)
        SELECT m.id, {LexicalScore} AS score
        FROM m JOIN w ON m.tsv @@ w.tq {LexicalTf}
        GROUP BY m.id ORDER BY score DESC, m.id LIMIT $3
        """;

    // Without it every probe would be a scan: one pass over the tenant's chunks counts them and finds those holding any
    // word, and the frequencies are counted among those (exactly: every chunk holding a word is among them).
    private const string ScanningLexicalSql = $"""
        WITH t AS MATERIALIZED (
            SELECT u.i, to_tsquery('simple', quote_literal(u.l)) AS tq
            FROM unnest(tsvector_to_array(to_tsvector('english', $2))) WITH ORDINALITY AS u(l, i)),
        q AS MATERIALIZED (SELECT to_tsquery('simple', string_agg(quote_literal(l), ' | ')) AS query FROM unnest(tsvector_to_array(to_tsvector('english', $2))) AS l),
        a AS MATERIALIZED (
            SELECT c.id, CASE WHEN c.tsv @@ q.query THEN c.tsv || ''::tsvector END AS tsv, 0.7 + 0.3 * length(c.tsv) / 64.0 AS norm
            FROM public.chunks c, q WHERE c.tenant_id = $1 AND q.query IS NOT NULL),
        n AS MATERIALIZED (SELECT count(*)::float8 AS n FROM a),
        m AS MATERIALIZED (SELECT a.id, a.tsv, a.norm FROM a WHERE a.tsv IS NOT NULL),
        p AS MATERIALIZED (SELECT m.id, t.i FROM m JOIN t ON m.tsv @@ t.tq),
        w AS MATERIALIZED (
            SELECT t.i, t.tq, ln(1 + (n.n - d.df + 0.5) / (d.df + 0.5)) AS idf
            FROM (SELECT p.i, count(*)::float8 AS df FROM p GROUP BY p.i) d JOIN t ON t.i = d.i, n)
        SELECT m.id, {LexicalScore} AS score
        FROM p JOIN m ON m.id = p.id JOIN w ON w.i = p.i {LexicalTf}
        GROUP BY m.id ORDER BY score DESC, m.id LIMIT $3
        """;

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
        cmd.Parameters.Add(new() { Value = session.Context.Tenant.Value });
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
        cmd.Parameters.Add(new() { Value = session.Context.Tenant.Value });
        cmd.Parameters.Add(new() { Value = id });
        return await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
    }
}
