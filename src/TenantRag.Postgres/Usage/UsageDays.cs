using Npgsql;
using TenantRag.Documents;

namespace TenantRag.Postgres.Usage;

/// <summary>
/// Reads metered days: the rolled-up days and the events not rolled up yet, in one statement (one snapshot: a roll-up
/// moving events into their day is seen entirely or not at all), summed per tenant and UTC day, with what was stored
/// at the end of each day as the running sum of the changes.
/// </summary>
internal static class UsageDays
{
    private const string Columns = "tenant_id, day, documents, chunks, bytes, queries, embedding_tokens, generated_tokens";

    // $1: the tenants (text[]); $2: the first day wanted (null: every day). The running sums start at each tenant's
    // first day, whatever the first day wanted.
    private const string Sql = $"""
        WITH per_day AS (
            SELECT tenant_id, day, sum(documents)::bigint AS documents, sum(chunks)::bigint AS chunks, sum(bytes)::bigint AS bytes,
                   sum(queries)::bigint AS queries, sum(embedding_tokens)::bigint AS embedding_tokens, sum(generated_tokens)::bigint AS generated_tokens
            FROM (SELECT {Columns} FROM public.usage_daily WHERE tenant_id = ANY($1)
                  UNION ALL
                  SELECT {Columns} FROM public.usage_events WHERE tenant_id = ANY($1)) u
            GROUP BY tenant_id, day),
        running AS (
            SELECT per_day.*, sum(documents) OVER w AS stored_documents, sum(chunks) OVER w AS stored_chunks, sum(bytes) OVER w AS stored_bytes
            FROM per_day WINDOW w AS (PARTITION BY tenant_id ORDER BY day))
        SELECT tenant_id, day, stored_documents::bigint, stored_chunks::bigint, stored_bytes::bigint, documents, chunks, bytes,
               queries, embedding_tokens, generated_tokens
        FROM running WHERE $2::date IS NULL OR day >= $2
        ORDER BY tenant_id, day
        """;

    /// <summary>The days of <paramref name="tenantIds"/> from <paramref name="since"/> (null: all), by tenant id, oldest first.</summary>
    public static async Task<Dictionary<string, List<UsageDay>>> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction,
        IReadOnlyCollection<string> tenantIds, DateOnly? since, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand(Sql, connection, transaction);
        cmd.Parameters.Add(new() { Value = tenantIds.ToArray() });
        cmd.Parameters.Add(new() { Value = since is { } day ? day : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Date });
        var days = new Dictionary<string, List<UsageDay>>(StringComparer.Ordinal);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var tenant = reader.GetString(0);
            if (!days.TryGetValue(tenant, out var list))
            {
                days[tenant] = list = [];
            }

            list.Add(new UsageDay
            {
                Day = reader.GetFieldValue<DateOnly>(1),
                Documents = reader.GetInt64(2),
                Chunks = reader.GetInt64(3),
                Bytes = reader.GetInt64(4),
                DocumentsChange = reader.GetInt64(5),
                ChunksChange = reader.GetInt64(6),
                BytesChange = reader.GetInt64(7),
                Queries = reader.GetInt64(8),
                EmbeddingTokens = reader.GetInt64(9),
                GeneratedTokens = reader.GetInt64(10),
            });
        }

        return days;
    }
}
