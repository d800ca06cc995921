using Npgsql;
using TenantRag.Tenancy;

namespace TenantRag.Postgres.Tenancy;

/// <summary>
/// <c>tenantrag.tenant_registry</c>, in every tenant-data database: the ids of the tenants whose rows that database
/// may hold. Every tenant-data table references it, which is what fences the writes of a tenant being deleted in
/// every process (see <c>005_tenant_registry.sql</c>). Admin role only.
/// </summary>
internal static class TenantRegistry
{
    /// <summary>
    /// True when <paramref name="ex"/> is a write refused because its tenant id is not (or no longer) registered in
    /// the database: the tenant was deleted, or the write names a tenant that does not live there.
    /// </summary>
    public static bool IsFenced(PostgresException ex) =>
        ex.SqlState == PostgresErrorCodes.ForeignKeyViolation && ex.ConstraintName?.EndsWith("_tenant_fk", StringComparison.Ordinal) == true;

    /// <summary>
    /// True when <paramref name="ex"/> is a write refused because its tenant is being moved out of this database: its
    /// registry entry is fenced (<c>009_online_moves.sql</c>). The tenant's writes go where the catalog says it lives.
    /// </summary>
    public static bool IsMoving(PostgresException ex) =>
        ex.SqlState == PostgresErrorCodes.ObjectNotInPrerequisiteState && ex.ConstraintName == "tenant_write_fence";

    /// <summary>Registers tenant <paramref name="id"/> in the database <paramref name="admin"/> reaches (idempotent).</summary>
    public static async Task RegisterAsync(NpgsqlDataSource admin, string id, TenantSlug slug, CancellationToken cancellationToken)
    {
        await using var cmd = admin.CreateCommand("INSERT INTO tenantrag.tenant_registry (id, slug) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING");
        cmd.Parameters.Add(new() { Value = id });
        cmd.Parameters.Add(new() { Value = slug.Value });
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Removes the entry of tenant <paramref name="id"/>, which has no rows (a creation that did not finish).</summary>
    public static async Task UnregisterAsync(NpgsqlDataSource admin, string id, CancellationToken cancellationToken)
    {
        await using var cmd = admin.CreateCommand("DELETE FROM tenantrag.tenant_registry WHERE id = $1");
        cmd.Parameters.Add(new() { Value = id });
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Deletes every row of tenant <paramref name="tenantId"/> and then its registry entry, in one transaction that
    /// first locks the entry: writes of the tenant in flight in any process (each holds a key-share lock on the entry
    /// through its foreign keys) commit first and are deleted with the rest, and writes that come later find no entry
    /// and fail. Returns the documents and chunks deleted.
    /// </summary>
    public static async Task<(long Documents, long Chunks)> DeleteTenantRowsAsync(NpgsqlDataSource admin, string tenantId, CancellationToken cancellationToken)
    {
        await using var connection = await admin.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

        // Each statement of the batch runs with a snapshot of its own (READ COMMITTED), taken once the lock is held,
        // so it sees what the writers it waited for committed. The counters go after the chunks: the chunk delete's
        // statement trigger writes the tenant's version row at the end of its statement.
        await using var batch = new NpgsqlBatch(connection, tx);
        foreach (var sql in new[]
        {
            "SELECT 1 FROM tenantrag.tenant_registry WHERE id = $1 FOR UPDATE",
            // A tenant moved away is fenced here (009_online_moves.sql): its rows go now, and nobody sees it unfenced.
            "UPDATE tenantrag.tenant_registry SET fenced_at = NULL WHERE id = $1",
            "DELETE FROM public.chunks WHERE tenant_id = $1",
            "DELETE FROM public.documents WHERE tenant_id = $1",
            "DELETE FROM public.tenant_data_versions WHERE tenant_id = $1",
            "DELETE FROM public.usage_events WHERE tenant_id = $1",
            "DELETE FROM public.usage_daily WHERE tenant_id = $1",
            "DELETE FROM public.index_snapshots WHERE tenant_id = $1",
            "DELETE FROM public.ingest_job_parts WHERE tenant_id = $1",
            "DELETE FROM public.ingest_jobs WHERE tenant_id = $1",
            "DELETE FROM tenantrag.tenant_registry WHERE id = $1",
        })
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand(sql) { Parameters = { new() { Value = tenantId } } });
        }

        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        var chunks = batch.BatchCommands[2].RecordsAffected;
        var documents = batch.BatchCommands[3].RecordsAffected;
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return (documents, chunks);
    }
}
