using TenantRag.Documents;
using TenantRag.Postgres.Tenancy;
using TenantRag.Postgres.Usage;
using TenantRag.Tenancy;

namespace TenantRag.Postgres.Documents;

/// <summary>
/// The caller's tenant's metered usage, through tenant sessions: queries are counted here, one event per answered
/// query; what is stored is counted by the database as it is written (<c>010_usage_events.sql</c>).
/// </summary>
public sealed class UsageStore(TenantConnectionFactory sessions)
{
    /// <summary>
    /// Counts one answered query of the caller's tenant, with <paramref name="embeddingTokens"/> tokens of its query
    /// embedded and <paramref name="generatedTokens"/> tokens written by a chat model, committed before this returns: an
    /// answer is sent only once it is counted. Where the tenant no longer lives (it moved away meanwhile), the event is
    /// written where it lives now; a tenant deleted meanwhile is <see cref="TenantNotFoundException"/>.
    /// </summary>
    public Task RecordQueryAsync(TenantContext context, long embeddingTokens, long generatedTokens, CancellationToken cancellationToken = default) =>
        sessions.WriteAsync(context, async (session, token) =>
        {
            await using var cmd = session.CreateCommand("INSERT INTO public.usage_events (tenant_id, queries, embedding_tokens, generated_tokens) VALUES ($1, 1, $2, $3)");
            cmd.Parameters.Add(new() { Value = session.TenantId });
            cmd.Parameters.Add(new() { Value = Math.Max(0, embeddingTokens) });
            cmd.Parameters.Add(new() { Value = Math.Max(0, generatedTokens) });
            return await cmd.ExecuteNonQueryAsync(token).ConfigureAwait(false);
        }, cancellationToken);

    /// <summary>
    /// The caller's view of its tenant's usage: the documents, chunks and bytes the caller can see now, the tenant's
    /// metered totals, and its metered days from <paramref name="since"/> (null: every day).
    /// </summary>
    public async Task<TenantUsage> GetAsync(TenantContext context, DateOnly? since = null, CancellationToken cancellationToken = default)
    {
        await using var session = await sessions.OpenSessionAsync(context, cancellationToken).ConfigureAwait(false);
        long documents, chunks, bytes;
        await using (var cmd = session.CreateCommand("""
            SELECT (SELECT count(*) FROM public.documents WHERE tenant_id = $1),
                   (SELECT count(*) FROM public.chunks WHERE tenant_id = $1),
                   (SELECT coalesce(sum(byte_size), 0)::bigint FROM public.documents WHERE tenant_id = $1)
            """))
        {
            cmd.Parameters.Add(new() { Value = session.TenantId });
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            (documents, chunks, bytes) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
        }

        var all = (await UsageDays.ReadAsync(session.Connection, session.Transaction, [session.TenantId], null, cancellationToken).ConfigureAwait(false))
            .GetValueOrDefault(session.TenantId) ?? [];
        var embedding = all.Sum(d => d.EmbeddingTokens);
        var generated = all.Sum(d => d.GeneratedTokens);
        return new TenantUsage
        {
            Documents = documents,
            Chunks = chunks,
            Bytes = bytes,
            Queries = all.Sum(d => d.Queries),
            Tokens = embedding + generated,
            EmbeddingTokens = embedding,
            GeneratedTokens = generated,
            Days = [.. all.Where(d => since is not { } first || d.Day >= first)],
        };
    }
}
