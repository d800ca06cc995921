using System.Diagnostics;
using System.Text.Json;
using Npgsql;
using TenantRag.Postgres.Cluster;
using TenantRag.Postgres.Tenancy;
using TenantRag.Tenancy;

namespace TenantRag.Postgres.Moves;

public sealed partial class TenantMover
{
    // The fence: one transaction in the source locks the tenant's registry entry (waiting for the tenant's writes in
    // flight to commit; later ones wait for it), marks it fenced and writes the fence marker. Once the target has the
    // marker it has every write the source took. Then the subscription stops, and the target's copy of the entry is
    // unfenced and its chunk ids continue after the tenant's (sequences are not replicated).
    private async Task FenceAsync(TenantMove move, ServerEndpoint source, ServerEndpoint target, CancellationToken cancellationToken)
    {
        await using (var publisher = await OpenAsync(source, move.From.Database, cancellationToken).ConfigureAwait(false))
        await using (var tx = await publisher.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
        {
            await using var batch = new NpgsqlBatch(publisher, tx);
            foreach (var sql in new[]
            {
                "SELECT 1 FROM tenantrag.tenant_registry WHERE id = $1 FOR UPDATE",
                "UPDATE tenantrag.tenant_registry SET fenced_at = coalesce(fenced_at, now()) WHERE id = $1",
                "INSERT INTO tenantrag.move_markers (move_id, phase) VALUES ($2, 'fence') ON CONFLICT DO NOTHING",
            })
            {
                batch.BatchCommands.Add(new NpgsqlBatchCommand(sql) { Parameters = { new() { Value = move.TenantId }, new() { Value = move.Id } } });
            }

            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        await using var subscriber = await OpenAsync(target, move.To.Database, cancellationToken).ConfigureAwait(false);
        if (await SubscriptionOidAsync(subscriber, move.ObjectName, cancellationToken).ConfigureAwait(false) is null)
        {
            // Only a hand-dropped subscription gets here: without the fence marker nothing proves the copy complete.
            if (!await ScalarAsync<bool>(subscriber, "SELECT EXISTS (SELECT 1 FROM tenantrag.move_markers WHERE move_id = $1 AND phase = 'fence')", cancellationToken, move.Id).ConfigureAwait(false))
            {
                throw new TenantRagException($"the subscription of the move of tenant '{move.Slug}' is gone from the target before it had every write: 'tenantrag tenant move {move.Slug} --abort' rolls the move back");
            }
        }
        else
        {
            await ExecuteAsync(subscriber, $"ALTER SUBSCRIPTION {Quote(move.ObjectName)} ENABLE", cancellationToken).ConfigureAwait(false);
            await WaitForMarkerAsync(subscriber, move, "fence", cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(subscriber, $"ALTER SUBSCRIPTION {Quote(move.ObjectName)} DISABLE", cancellationToken).ConfigureAwait(false);
        }

        await ExecuteAsync(subscriber, "UPDATE tenantrag.tenant_registry SET fenced_at = NULL WHERE id = $1", cancellationToken, move.TenantId).ConfigureAwait(false);
        await ExecuteAsync(subscriber, """
            SELECT setval(pg_get_serial_sequence('public.chunks', 'id'),
                greatest((SELECT max(id) FROM public.chunks WHERE tenant_id = $1), (SELECT last_value FROM public.chunks_id_seq)))
            """, cancellationToken, move.TenantId).ConfigureAwait(false);
    }

    // The switch: in one catalog transaction the tenant's row names the target, the move is recorded switched, the
    // audit log says so, and every serving process is told to forget the old place. Writers waiting on the fence then
    // find the tenant at the target.
    private async Task SwitchAsync(TenantMove move, TimeSpan? copy, TimeSpan? catchUp, Stopwatch fenced, CancellationToken cancellationToken)
    {
        using var catalog = database.Registry.Admin(Primary, Primary.Names.Catalog);
        await using var connection = await catalog.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        if (move.To.Server != move.From.Server)
        {
            await TenantPlacement.ReserveAsync(connection, tx, move.To.Server, cancellationToken).ConfigureAwait(false);
        }

        await using var batch = new NpgsqlBatch(connection, tx);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("""
            UPDATE tenantrag.tenants SET server_id = $2, database_name = $3, mode = $4
            WHERE id = $1 AND server_id = $5 AND database_name = $6 AND status = 'active'
            """)
        {
            Parameters =
            {
                new() { Value = move.TenantId }, new() { Value = move.To.Server }, new() { Value = move.To.Database },
                new() { Value = move.To.Mode.ToName() }, new() { Value = move.From.Server }, new() { Value = move.From.Database },
            },
        });
        var fenceMs = (long)fenced.Elapsed.TotalMilliseconds;
        batch.BatchCommands.Add(new NpgsqlBatchCommand("""
            UPDATE tenantrag.tenant_moves SET step = 'switched', copy_ms = coalesce($2, copy_ms), catchup_ms = coalesce($3, catchup_ms),
                fence_ms = $4, error = NULL, updated_at = now()
            WHERE id = $1
            """)
        {
            Parameters =
            {
                new() { Value = move.Id }, new() { Value = Millis(copy), DataTypeName = "bigint" },
                new() { Value = Millis(catchUp), DataTypeName = "bigint" }, new() { Value = fenceMs },
            },
        });
        batch.BatchCommands.Add(new NpgsqlBatchCommand("INSERT INTO tenantrag.audit_log (action, tenant, tenant_id, details) VALUES ('tenant.move', $1, $2, $3::jsonb)")
        {
            Parameters =
            {
                new() { Value = move.Slug.Value }, new() { Value = move.TenantId },
                new() { Value = JsonSerializer.Serialize(new { move = move.Id, from = move.From.ToString(), to = move.To.ToString(), fence_ms = fenceMs }) },
            },
        });
        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        if (batch.BatchCommands[0].RecordsAffected != 1)
        {
            throw new TenantRagException($"tenant '{move.Slug}' is no longer where the move took it from (deleted, or changed by another process): 'tenantrag tenant move {move.Slug} --abort' rolls the move back");
        }

        await CatalogNotifications.NotifyAsync(connection, tx, move.Slug, cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        database.Sessions.Invalidate(move.Slug);
    }

    // After the switch: the subscription, the slot and the publication go; once every process has had time to see the
    // switch (the catalog cache's lifetime: until then a process that missed the notification may still read the
    // source, which holds the same rows), the source rows (or database) go too.
    private async Task CleanUpAsync(TenantMove move, ServerEndpoint source, ServerEndpoint target, CancellationToken cancellationToken)
    {
        await DropSubscriptionAsync(move, target, source, cancellationToken).ConfigureAwait(false);
        await DropPublicationAndSlotAsync(move, source, cancellationToken).ConfigureAwait(false);
        await CarryUsageAsync(move, source, target, cancellationToken).ConfigureAwait(false);
        await using (var subscriber = await OpenAsync(target, move.To.Database, cancellationToken).ConfigureAwait(false))
        {
            await ExecuteAsync(subscriber, "DELETE FROM tenantrag.move_markers WHERE move_id = $1", cancellationToken, move.Id).ConfigureAwait(false);
        }

        await Task.Delay(Primary.Options.CatalogCacheTtl + TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
        await RemoveCopyAsync(move, move.From, cancellationToken).ConfigureAwait(false);
    }

    // Query events are not fenced (reads never are), so the source took some the target never got: between the fence
    // (the subscription stopped at its marker) and the switch, and from processes that had not heard of the switch yet.
    // The source's registry entry is marked left once the events in flight there commit (FOR UPDATE waits for their
    // key-share locks): later ones are refused and written where the catalog says the tenant lives now. Then every event
    // of the source that the target lacks is copied over by id, so a clean-up resumed after a crash copies none twice.
    // The target rolls none of them up meanwhile: the roll-up skips a tenant whose move is in progress.
    private static async Task CarryUsageAsync(TenantMove move, ServerEndpoint source, ServerEndpoint target, CancellationToken cancellationToken)
    {
        const string Columns = "id, at, day, documents, chunks, bytes, queries, embedding_tokens, generated_tokens";
        string events;
        try
        {
            await using var publisher = await OpenAsync(source, move.From.Database, cancellationToken).ConfigureAwait(false);
            await using (var tx = await publisher.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
            {
                await using var batch = new NpgsqlBatch(publisher, tx);
                foreach (var sql in new[]
                {
                    "SELECT 1 FROM tenantrag.tenant_registry WHERE id = $1 FOR UPDATE",
                    "UPDATE tenantrag.tenant_registry SET left_at = coalesce(left_at, now()) WHERE id = $1",
                })
                {
                    batch.BatchCommands.Add(new NpgsqlBatchCommand(sql) { Parameters = { new() { Value = move.TenantId } } });
                }

                await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            }

            events = await ScalarAsync<string>(publisher, $"SELECT coalesce(json_agg(e), '[]')::text FROM (SELECT {Columns} FROM public.usage_events WHERE tenant_id = $1) e",
                cancellationToken, move.TenantId).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InvalidCatalogName)
        {
            return; // a resumed clean-up: the dedicated source database is already gone, and its events were carried before
        }

        await using var subscriber = await OpenAsync(target, move.To.Database, cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(subscriber, $"""
            INSERT INTO public.usage_events (tenant_id, {Columns})
            SELECT $1, {Columns} FROM json_populate_recordset(NULL::public.usage_events, $2::json)
            ON CONFLICT (tenant_id, id) DO NOTHING
            """, cancellationToken, move.TenantId, events).ConfigureAwait(false);
    }

    private static object Millis(TimeSpan? span) => span is { } s ? (long)s.TotalMilliseconds : DBNull.Value;
}
