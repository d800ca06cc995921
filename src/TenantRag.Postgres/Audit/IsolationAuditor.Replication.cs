using System.Text.RegularExpressions;
using Npgsql;
using TenantRag.Postgres.Fleet;
using TenantRag.Postgres.Tenancy;
using static TenantRag.Postgres.Audit.AuditText;

namespace TenantRag.Postgres.Audit;

public sealed partial class IsolationAuditor
{
    private static readonly string[] StepsInProgress = ["preparing", "copying", "fenced", "switched"];

    // A logical replication slot: its database (the one it decodes), whether a process reads from it, and the WAL it holds.
    private sealed record Slot(string Name, string? Database, bool Active, int? ActivePid, string? Retained);

    private sealed record Subscription(uint Oid, string Name, string Database);

    private sealed record Publication(string Name, string Database);

    // What one server holds: its system identifier (the tail of a table-synchronisation slot's name), every logical slot,
    // every subscription, and the move publications in the installation's databases there.
    private sealed record ServerReplication(string Server, string SystemIdentifier, List<Slot> Slots, List<Subscription> Subscriptions, List<Publication> Publications);

    // The replication objects of server `server`: slots and subscriptions as its bootstrap role (pg_subscription is the
    // superuser's), publications as the admin role in each of the installation's databases there. Null, with a finding
    // that says why, when they cannot be read.
    private async Task<(ServerReplication? State, AuditFinding? NotChecked)> ReadReplicationAsync(FleetServer server, Installation.Installation on,
        CancellationToken cancellationToken)
    {
        const string What = "its replication slots, subscriptions and publications";
        try
        {
            var builder = ServerFleet.BootstrapEndpoint(Installation, server, home).BootstrapConnectionString();
            builder.Pooling = false;
            builder.Timeout = 10;
            await using var source = NpgsqlDataSource.Create(builder.ConnectionString);
            await using var connection = await source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            var state = new ServerReplication(server.Name, await SystemIdentifierAsync(connection, cancellationToken).ConfigureAwait(false), [], [], []);
            await ReadAsync(connection, """
                SELECT slot_name::text, database::text, active, active_pid, pg_size_pretty(retained)
                FROM (SELECT *, pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END, restart_lsn)::bigint AS retained
                      FROM pg_replication_slots WHERE slot_type = 'logical') s
                ORDER BY slot_name
                """, [], r => state.Slots.Add(new Slot(r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), r.GetBoolean(2), r.IsDBNull(3) ? null : r.GetInt32(3),
                    r.IsDBNull(4) ? null : r.GetString(4))), cancellationToken).ConfigureAwait(false);
            await ReadAsync(connection, "SELECT s.oid, s.subname::text, d.datname::text FROM pg_subscription s JOIN pg_database d ON d.oid = s.subdbid ORDER BY 2",
                [], r => state.Subscriptions.Add(new Subscription(r.GetFieldValue<uint>(0), r.GetString(1), r.GetString(2))), cancellationToken).ConfigureAwait(false);
            var databases = new List<string>();
            await ReadAsync(connection, "SELECT datname::text FROM pg_database WHERE (datname IN ($1, $2, $3) OR datname LIKE $4) AND datallowconn ORDER BY 1",
                [Names.Catalog, Names.Template, Names.Shared, Names.DedicatedDatabasePattern], r => databases.Add(r.GetString(0)), cancellationToken).ConfigureAwait(false);

            // Every database of the installation there, the catalog's or not: a move's source may outlive the catalog's mention of it.
            foreach (var name in databases)
            {
                try
                {
                    await using var admin = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(on.AdminConnectionString(name)) { Pooling = false }.ConnectionString);
                    await using var inDatabase = await admin.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                    await ReadAsync(inDatabase, "SELECT pubname::text FROM pg_publication WHERE pubname LIKE 'tenantrag\\_move\\_%' ORDER BY 1", [],
                        r => state.Publications.Add(new Publication(r.GetString(0), name)), cancellationToken).ConfigureAwait(false);
                }
                catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InvalidCatalogName)
                {
                    // Dropped since it was listed.
                }
            }

            return (state, null);
        }
        catch (TenantRagException ex)
        {
            // Its bootstrap password is not where the catalog says.
            return (null, NotAudited(server.Name, What, ex.Message));
        }
        catch (NpgsqlException ex) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, NotAudited(server.Name, What, ex));
        }
    }

    private async Task<HashSet<string>> MovesInProgressAsync(CancellationToken cancellationToken)
    {
        using var catalog = database.Registry.Admin(Installation, Names.Catalog);
        await using var connection = await catalog.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var moves = new HashSet<string>(StringComparer.Ordinal);
        await ReadAsync(connection, "SELECT id FROM tenantrag.tenant_moves WHERE step = ANY($1)", [StepsInProgress], r => moves.Add(r.GetString(0)), cancellationToken).ConfigureAwait(false);
        return moves;
    }

    // The move objects no move in progress owns, on every server, and the inactive logical slots that are not TenantRag's.
    private IEnumerable<AuditFinding> ReplicationRules(List<ServerReplication> servers, HashSet<string> inProgress)
    {
        bool Orphaned(string name) => MoveId(name, out var id) && !inProgress.Contains(id);

        foreach (var server in servers)
        {
            var on = $"on server '{server.Server}'";
            foreach (var publication in server.Publications.Where(p => Orphaned(p.Name)))
            {
                yield return Finding(AuditRules.OrphanedPublication, $"{publication.Database} publication {publication.Name}",
                    $"publication {publication.Name} in {publication.Database} {on} belongs to no move in progress (tenantrag.tenant_moves has no such move preparing, copying, fenced or switched): an interrupted or aborted move left it, and a slot that reads it streams out every change to the tables it publishes",
                    $"-- {on}, in database {publication.Database}:\nDROP PUBLICATION {Quote(publication.Name)};") with { Server = server.Server };
            }

            foreach (var subscription in server.Subscriptions.Where(s => Names.IsOwnDatabase(s.Database) && Orphaned(s.Name)))
            {
                yield return Finding(AuditRules.OrphanedSubscription, $"{subscription.Database} subscription {subscription.Name}",
                    $"subscription {subscription.Name} in {subscription.Database} {on} belongs to no move in progress: an interrupted or aborted move left it, and while it is enabled it writes what its publisher sends into this database; its slot on the publisher, if any, is reported as its own finding",
                    $"""
                    -- {on}, in database {subscription.Database}, as a superuser (without its slot, the drop does not reach the publisher):
                    ALTER SUBSCRIPTION {Quote(subscription.Name)} DISABLE;
                    ALTER SUBSCRIPTION {Quote(subscription.Name)} SET (slot_name = NONE);
                    DROP SUBSCRIPTION {Quote(subscription.Name)};
                    """) with { Server = server.Server };
            }

            foreach (var slot in server.Slots)
            {
                if (SlotOwner(slot, servers, inProgress, out var owner) is not { } ours)
                {
                    if (!slot.Active)
                    {
                        yield return Finding(AuditRules.InactiveReplicationSlot, $"replication slot {slot.Name}",
                            $"logical replication slot {slot.Name} {on} (database {slot.Database ?? "none"}) is not one of this installation's moves and nothing reads from it: it {Retains(slot)}, and PostgreSQL keeps every WAL segment from its restart point until the slot is read or dropped, so a forgotten slot fills the disk",
                            $"-- {on}, once nothing will read from it again:\nSELECT pg_drop_replication_slot({Literal(slot.Name)});") with { Server = server.Server, Severity = AuditSeverity.Warning };
                    }

                    continue;
                }

                if (ours)
                {
                    continue;
                }

                var reader = slot.Active ? $"; process {slot.ActivePid} reads from it now: drop the subscription it serves first" : string.Empty;
                yield return Finding(AuditRules.OrphanedReplicationSlot, $"replication slot {slot.Name}",
                    $"logical replication slot {slot.Name} {on} (database {slot.Database}) {owner}; it {Retains(slot)}, and PostgreSQL keeps every WAL segment from its restart point until the slot is dropped, so a forgotten slot fills the disk{reader}",
                    $"-- {on}, as a superuser or a role with REPLICATION:\nSELECT pg_drop_replication_slot({Literal(slot.Name)});") with { Server = server.Server };
            }
        }
    }

    // Whose a slot is: null when not TenantRag's; true when a move in progress owns it; false for an orphan, with
    // `owner` saying what it was made for.
    private bool? SlotOwner(Slot slot, List<ServerReplication> servers, HashSet<string> inProgress, out string owner)
    {
        owner = string.Empty;
        if (slot.Database is not { } decoded || !Names.IsOwnDatabase(decoded))
        {
            return null;
        }

        if (MoveId(slot.Name, out var id))
        {
            owner = $"belongs to no move in progress (tenantrag.tenant_moves has no move {id} preparing, copying, fenced or switched): an interrupted or aborted move left it";
            return inProgress.Contains(id);
        }

        // pg_<subscription oid>_sync_<table oid>_<system identifier of the subscriber's server>: made on the publisher
        // for the first copy of a table, normally dropped when that copy ends.
        var sync = SyncSlotRegex().Match(slot.Name);
        if (!sync.Success || servers.Where(s => s.SystemIdentifier == sync.Groups[3].Value).ToList() is not { Count: > 0 } subscribers)
        {
            return null;
        }

        var oid = uint.Parse(sync.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var where = string.Join(" or ", subscribers.Select(s => $"'{s.Server}'"));
        if (subscribers.SelectMany(s => s.Subscriptions).FirstOrDefault(s => s.Oid == oid) is not { } subscription)
        {
            owner = $"is a table-synchronisation slot of a subscription (oid {oid}) of server {where} that no longer exists";
            return false;
        }

        if (!Names.IsOwnDatabase(subscription.Database) || !MoveId(subscription.Name, out id))
        {
            return null;
        }

        owner = $"is a table-synchronisation slot of subscription {subscription.Name} in {subscription.Database} of server {where}, which belongs to no move in progress";
        return inProgress.Contains(id);
    }

    // The id of a move object's name, tenantrag_move_<id>.
    private static bool MoveId(string name, out string id)
    {
        var match = MoveObjectRegex().Match(name);
        id = match.Success ? match.Groups[1].Value : string.Empty;
        return match.Success;
    }

    private static string Retains(Slot slot) => slot.Retained is { } size ? $"retains {size} of WAL" : "retains no WAL it can still be read from (its restart point is gone)";

    // As a slot's name writes it: unsigned (SQL shows it as a bigint).
    private static async Task<string> SystemIdentifierAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand("SELECT system_identifier FROM pg_control_system()", connection);
        var identifier = (long)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        return unchecked((ulong)identifier).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task ReadAsync(NpgsqlConnection connection, string sql, object[] parameters, Action<NpgsqlDataReader> row, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            cmd.Parameters.Add(new() { Value = parameter });
        }

        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            row(reader);
        }
    }

    [GeneratedRegex(@"\Atenantrag_move_([a-z0-9]{12})\z")]
    private static partial Regex MoveObjectRegex();

    [GeneratedRegex(@"\Apg_(\d+)_sync_(\d+)_(\d+)\z")]
    private static partial Regex SyncSlotRegex();
}
