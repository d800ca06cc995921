using System.Diagnostics;
using System.Text;
using Npgsql;
using TenantRag.Postgres.Cluster;
using TenantRag.Tenancy;

namespace TenantRag.Postgres.Moves;

public sealed partial class TenantMover
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(20);

    // Publication and slot in the source, subscription in the target (each made unless it exists, so a resume picks up
    // what an interrupted attempt made), then waits until every table is copied and streaming. Returns the copy time.
    private async Task<TimeSpan> CopyAsync(TenantMove move, ServerEndpoint source, ServerEndpoint target, CancellationToken cancellationToken)
    {
        var name = move.ObjectName;
        await using (var publisher = await OpenAsync(source, move.From.Database, cancellationToken).ConfigureAwait(false))
        {
            if (!await ScalarAsync<bool>(publisher, "SELECT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = $1)", cancellationToken, name).ConfigureAwait(false))
            {
                await ExecuteAsync(publisher, PublicationSql(move), cancellationToken).ConfigureAwait(false);
            }

            // Made here, not by CREATE SUBSCRIPTION: that would wait forever when both databases are on one server.
            if (!await ScalarAsync<bool>(publisher, "SELECT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1)", cancellationToken, name).ConfigureAwait(false))
            {
                await ExecuteAsync(publisher, "SELECT pg_create_logical_replication_slot($1, 'pgoutput')", cancellationToken, name).ConfigureAwait(false);
            }
        }

        var copying = Stopwatch.StartNew();
        await using var subscriber = await OpenAsync(target, move.To.Database, cancellationToken).ConfigureAwait(false);
        if (await SubscriptionOidAsync(subscriber, name, cancellationToken).ConfigureAwait(false) is null)
        {
            await ExecuteAsync(subscriber, $"""
                CREATE SUBSCRIPTION {Quote(name)} CONNECTION {Literal(ConnInfo(source, move.From.Database))} PUBLICATION {Quote(name)}
                WITH (create_slot = false, slot_name = {Literal(name)}, copy_data = true, enabled = true)
                """, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await ExecuteAsync(subscriber, $"ALTER SUBSCRIPTION {Quote(name)} ENABLE", cancellationToken).ConfigureAwait(false);
        }

        await WaitAsync(subscriber, move, "the initial copy", async ct =>
        {
            await using var cmd = new NpgsqlCommand("""
                SELECT count(*) FILTER (WHERE r.srsubstate = 'r') = $2 AND count(*) = $2
                FROM pg_subscription s JOIN pg_subscription_rel r ON r.srsubid = s.oid
                WHERE s.subname = $1 AND s.subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())
                """, subscriber);
            cmd.Parameters.Add(new() { Value = name });
            cmd.Parameters.Add(new() { Value = (long)PublishedTables.Length });
            return (bool)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
        }, cancellationToken).ConfigureAwait(false);
        return copying.Elapsed;
    }

    // Writes a marker in the source and waits until the target has it: replication applies in commit order, so then the
    // target has everything the source committed before it. Returns how long that took.
    private async Task<TimeSpan> MarkAndWaitAsync(TenantMove move, ServerEndpoint source, ServerEndpoint target, string phase, CancellationToken cancellationToken)
    {
        var took = Stopwatch.StartNew();
        await using (var publisher = await OpenAsync(source, move.From.Database, cancellationToken).ConfigureAwait(false))
        {
            await ExecuteAsync(publisher, "INSERT INTO tenantrag.move_markers (move_id, phase) VALUES ($1, $2) ON CONFLICT DO NOTHING", cancellationToken, move.Id, phase).ConfigureAwait(false);
        }

        await using var subscriber = await OpenAsync(target, move.To.Database, cancellationToken).ConfigureAwait(false);
        await WaitForMarkerAsync(subscriber, move, phase, cancellationToken).ConfigureAwait(false);
        return took.Elapsed;
    }

    private Task WaitForMarkerAsync(NpgsqlConnection subscriber, TenantMove move, string phase, CancellationToken cancellationToken) =>
        WaitAsync(subscriber, move, $"the {phase} marker", ct => ScalarAsync<bool>(subscriber,
            "SELECT EXISTS (SELECT 1 FROM tenantrag.move_markers WHERE move_id = $1 AND phase = $2)", ct, move.Id, phase), cancellationToken);

    // Polls until done; a subscription that keeps failing (its errors count up) or a wait past the timeout stops the move.
    private async Task WaitAsync(NpgsqlConnection subscriber, TenantMove move, string what, Func<CancellationToken, Task<bool>> done, CancellationToken cancellationToken)
    {
        var waited = Stopwatch.StartNew();
        var checkedErrors = TimeSpan.Zero;
        while (!await done(cancellationToken).ConfigureAwait(false))
        {
            if (waited.Elapsed > Timeout)
            {
                throw new TenantRagException($"{what} of the move of tenant '{move.Slug}' did not finish within {Timeout.TotalMinutes:0.#} minutes");
            }

            if (waited.Elapsed - checkedErrors > TimeSpan.FromSeconds(2))
            {
                checkedErrors = waited.Elapsed;
                var errors = await ScalarAsync<long>(subscriber,
                    "SELECT coalesce(sum(apply_error_count + sync_error_count), 0)::bigint FROM pg_stat_subscription_stats WHERE subname = $1",
                    cancellationToken, move.ObjectName).ConfigureAwait(false);
                if (errors >= 3)
                {
                    throw new TenantRagException($"the target refuses {what} of tenant '{move.Slug}' ({errors} replication errors: the log of server '{move.To.Server}' says why)");
                }
            }

            await Task.Delay(Poll, cancellationToken).ConfigureAwait(false);
        }
    }

    // Disables and drops the move's subscription in the target (without its slot, which is the source's to drop), and
    // the table-copy slots PostgreSQL made for it on the source. A target database that is gone has none.
    private async Task DropSubscriptionAsync(TenantMove move, ServerEndpoint target, ServerEndpoint source, CancellationToken cancellationToken)
    {
        uint? oid;
        try
        {
            await using var subscriber = await OpenAsync(target, move.To.Database, cancellationToken).ConfigureAwait(false);
            oid = await SubscriptionOidAsync(subscriber, move.ObjectName, cancellationToken).ConfigureAwait(false);
            if (oid is not null)
            {
                var name = Quote(move.ObjectName);
                await ExecuteAsync(subscriber, $"ALTER SUBSCRIPTION {name} DISABLE", cancellationToken).ConfigureAwait(false);
                await ExecuteAsync(subscriber, $"ALTER SUBSCRIPTION {name} SET (slot_name = NONE)", cancellationToken).ConfigureAwait(false);
                await ExecuteAsync(subscriber, $"DROP SUBSCRIPTION {name}", cancellationToken).ConfigureAwait(false);
            }
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InvalidCatalogName)
        {
            return;
        }

        if (oid is { } suboid)
        {
            await DropSlotsAsync(source, move.From.Database, $"pg\\_{suboid}\\_sync\\_%", cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task DropPublicationAndSlotAsync(TenantMove move, ServerEndpoint source, CancellationToken cancellationToken)
    {
        await using (var publisher = await OpenAsync(source, move.From.Database, cancellationToken).ConfigureAwait(false))
        {
            await ExecuteAsync(publisher, $"DROP PUBLICATION IF EXISTS {Quote(move.ObjectName)}", cancellationToken).ConfigureAwait(false);
        }

        await DropSlotsAsync(source, move.From.Database, move.ObjectName.Replace("_", "\\_", StringComparison.Ordinal), cancellationToken).ConfigureAwait(false);
    }

    // Drops the slots whose names match; a slot still held by a walsender (its subscription was just disabled) is let
    // go for a few seconds, then its walsender is ended.
    private static async Task DropSlotsAsync(ServerEndpoint server, string database, string pattern, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(server, database, cancellationToken).ConfigureAwait(false);
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await ExecuteAsync(connection, "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name LIKE $1 AND NOT active", cancellationToken, pattern).ConfigureAwait(false);
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.ObjectInUse)
            {
                // Taken by a walsender between the look and the drop: look again.
            }

            if (await ScalarAsync<long>(connection, "SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE $1", cancellationToken, pattern).ConfigureAwait(false) == 0)
            {
                return;
            }

            if (waited.Elapsed > TimeSpan.FromSeconds(5))
            {
                await ExecuteAsync(connection, "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name LIKE $1 AND active", cancellationToken, pattern).ConfigureAwait(false);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<uint?> SubscriptionOidAsync(NpgsqlConnection subscriber, string name, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand(
            "SELECT oid FROM pg_subscription WHERE subname = $1 AND subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())", subscriber);
        cmd.Parameters.Add(new() { Value = name });
        return await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is uint oid ? oid : null;
    }

    // Every table with the tenant's rows, filtered on its id (a dedicated database holds only its rows, and the same
    // filter keeps the statement one), and the move's own markers.
    private static string PublicationSql(TenantMove move)
    {
        var tenant = System.Text.RegularExpressions.Regex.IsMatch(move.TenantId, @"\A[A-Za-z0-9-]{1,64}\z")
            ? Literal(move.TenantId)
            : throw new InvalidOperationException("a tenant id holds unexpected characters");
        var tables = PublishedTables.Select(table => table switch
        {
            "tenantrag.tenant_registry" => $"{table} WHERE (id = {tenant})",
            "tenantrag.move_markers" => $"{table} WHERE (move_id = {Literal(move.Id)})",
            _ => $"{table} WHERE (tenant_id = {tenant})",
        });
        return $"CREATE PUBLICATION {Quote(move.ObjectName)} FOR TABLE {string.Join(", ", tables)}";
    }

    // A libpq connection string to the source database as its bootstrap role, for the subscription. It holds the
    // password: PostgreSQL shows it to superusers only, and it is never printed or logged here.
    private static string ConnInfo(ServerEndpoint source, string database)
    {
        var parts = new List<(string Key, string Value)>
        {
            ("host", source.Host), ("port", source.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("dbname", database), ("user", source.BootstrapUsername), ("password", source.BootstrapPassword),
            ("application_name", "tenantrag-move"),
        };
        if (source.Extra.TryGetValue("SSL Mode", out var ssl))
        {
            parts.Add(("sslmode", ssl.ToLowerInvariant() switch { "verifyca" => "verify-ca", "verifyfull" => "verify-full", var mode => mode }));
        }

        var text = new StringBuilder();
        foreach (var (key, value) in parts)
        {
            text.Append(key).Append("='").Append(value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal)).Append("' ");
        }

        return text.ToString().TrimEnd();
    }

    // Move ids and tenant ids are generated here ([a-z0-9-]); the checks keep anything else out of the statements.
    private static string Quote(string name) => Installation.Sql.Identifier(name);

    private static string Literal(string value) =>
        "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
}
