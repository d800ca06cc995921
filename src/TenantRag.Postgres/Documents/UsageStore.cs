using TenantRag.Documents;
using TenantRag.Postgres.Tenancy;
using TenantRag.Tenancy;

namespace TenantRag.Postgres.Documents;

/// <summary>Usage counters per tenant, through tenant sessions.</summary>
public sealed class UsageStore(TenantConnectionFactory sessions)
{
    /// <summary>Adds <paramref name="queries"/> queries and <paramref name="tokens"/> tokens to the caller's tenant.</summary>
    public Task RecordAsync(TenantContext context, long queries, long tokens, CancellationToken cancellationToken = default) =>
        sessions.WriteAsync(context, async (session, token) =>
        {
            await using var cmd = session.CreateCommand("""
                INSERT INTO public.tenant_usage AS u (tenant_id, queries, tokens) VALUES ($1, $2, $3)
                ON CONFLICT (tenant_id) DO UPDATE SET queries = u.queries + excluded.queries, tokens = u.tokens + excluded.tokens, updated_at = now()
                """);
            cmd.Parameters.Add(new() { Value = session.TenantId });
            cmd.Parameters.Add(new() { Value = Math.Max(0, queries) });
            cmd.Parameters.Add(new() { Value = Math.Max(0, tokens) });
            return await cmd.ExecuteNonQueryAsync(token).ConfigureAwait(false);
        }, cancellationToken);

    /// <summary>The caller's view of its tenant's usage.</summary>
    public async Task<TenantUsage> GetAsync(TenantContext context, CancellationToken cancellationToken = default)
    {
        await using var session = await sessions.OpenSessionAsync(context, cancellationToken).ConfigureAwait(false);
        await using var cmd = session.CreateCommand("""
            SELECT (SELECT count(*) FROM public.documents WHERE tenant_id = $1),
                   (SELECT count(*) FROM public.chunks WHERE tenant_id = $1),
                   (SELECT coalesce(sum(byte_size), 0)::bigint FROM public.documents WHERE tenant_id = $1),
                   coalesce((SELECT queries FROM public.tenant_usage WHERE tenant_id = $1), 0),
                   coalesce((SELECT tokens FROM public.tenant_usage WHERE tenant_id = $1), 0)
            """);
        cmd.Parameters.Add(new() { Value = session.TenantId });
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return new TenantUsage
        {
            Documents = reader.GetInt64(0),
            Chunks = reader.GetInt64(1),
            Bytes = reader.GetInt64(2),
            Queries = reader.GetInt64(3),
            Tokens = reader.GetInt64(4),
        };
    }
}
