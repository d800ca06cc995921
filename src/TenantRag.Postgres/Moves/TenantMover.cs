using System.Diagnostics;
using System.Security.Cryptography;
using Npgsql;
using TenantRag.Postgres.Cluster;
using TenantRag.Postgres.Fleet;
using TenantRag.Postgres.Installation;
using TenantRag.Postgres.Tenancy;
using TenantRag.Tenancy;

namespace TenantRag.Postgres.Moves;

/// <summary>
/// Moves a tenant online between servers and models (<c>tenantrag tenant move</c>): shared → dedicated, dedicated →
/// shared, and server → server in either model, while the tenant keeps serving reads and writes.
/// <list type="number">
/// <item><b>preparing</b>: a dedicated target gets its role and a database copied from the template.</item>
/// <item><b>copying</b>: a publication in the source database filtered on the tenant's id, a slot on the source server
/// and a subscription in the target database copy the tenant's rows, then stream its changes.</item>
/// <item><b>fenced</b>: the source's registry entry of the tenant is fenced (its writes there fail from then on, in
/// every process, and writers look up where it lives: <c>009_online_moves.sql</c>) in the same transaction as a marker;
/// once the target has the marker it has every write.</item>
/// <item><b>switched</b>: the catalog names the target (one transaction, with a notification every serving process
/// listens to); writers waiting on the fence go there. After the catalog cache's lifetime the source rows (or database),
/// the subscription, the slot and the publication are removed.</item>
/// </list>
/// Each step is recorded in the catalog before its effects can exist, so a move interrupted anywhere (the mover killed,
/// a server stopped) is resumed (<see cref="ResumeAsync"/>) or rolled back (<see cref="AbortAsync"/>) from the record;
/// a rollback is possible until the switch, a resume always. Runs as the servers' bootstrap roles: on PostgreSQL 15
/// only a superuser may create a subscription.
/// </summary>
public sealed partial class TenantMover(TenantRagDatabase database, ServerFleet fleet)
{
    private static readonly string[] PublishedTables =
    [
        "tenantrag.tenant_registry", "public.documents", "public.chunks", "public.tenant_data_versions",
        "public.usage_events", "public.usage_daily", "public.ingest_jobs", "public.ingest_job_parts", "public.index_snapshots",
        "tenantrag.move_markers",
    ];

    private Installation.Installation Primary => database.Installation;

    /// <summary>Called after each step is done (progress, and the <c>--pause-after</c> fault drills).</summary>
    public Func<string, TenantMove, CancellationToken, Task>? AfterStep { get; init; }

    /// <summary>How long the initial copy and each wait for the target may take before the move stops (it can be resumed).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// Moves <paramref name="slug"/> to <paramref name="toServer"/> (default: where it is) in <paramref name="mode"/>
    /// (default: its model). Refused, with nothing changed, when that is where it is, when a move of it is in
    /// progress, when a server lacks logical replication or the two databases are at different schema versions.
    /// </summary>
    public async Task<MoveReport> MoveAsync(TenantSlug slug, string? toServer, TenancyMode? mode, CancellationToken cancellationToken = default)
    {
        var tenant = await database.Catalog.FindAsync(slug, cancellationToken).ConfigureAwait(false) is { Status: "active" } found
            ? found
            : throw new TenantNotFoundException(slug);
        if (toServer is not null)
        {
            ServerName.Parse(toServer, "--to-server");
        }

        var targetMode = mode ?? tenant.Mode;
        var targetServer = toServer ?? tenant.Server;
        if (targetServer == tenant.Server && targetMode == tenant.Mode)
        {
            throw new UsageException($"tenant '{slug}' is already {tenant.Mode.ToName()} on server '{tenant.Server}': name another server (--to-server) or model (--mode)");
        }

        if (targetServer != tenant.Server)
        {
            // Refused early when the target is full or not active; checked again under its lock at the switch.
            await database.Catalog.Placement.ChooseAsync(targetServer, cancellationToken).ConfigureAwait(false);
        }

        var move = new TenantMove
        {
            Id = NewId(),
            TenantId = tenant.Id,
            Slug = slug,
            From = new TenantPlace(tenant.Server, tenant.Database, tenant.Mode),
            To = new TenantPlace(targetServer, targetMode == TenancyMode.Shared ? Primary.Names.Shared : Primary.Names.DedicatedDatabase(slug), targetMode),
            Step = MoveSteps.Preparing,
        };
        await CheckServersAsync(move, cancellationToken).ConfigureAwait(false);
        await RecordStartAsync(move, cancellationToken).ConfigureAwait(false);
        return await RunAsync(move, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Continues the tenant's interrupted move from the step its record names.</summary>
    public async Task<MoveReport> ResumeAsync(TenantSlug slug, CancellationToken cancellationToken = default)
    {
        var move = await FindInProgressAsync(slug, cancellationToken).ConfigureAwait(false)
            ?? throw new TenantRagException($"tenant '{slug}' has no move in progress: nothing to resume");
        return await RunAsync(move, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Rolls the tenant's interrupted move back: the tenant stays (or is again) served from its source only, with its
    /// writes unfenced, and the target's copy, the subscription, the slot and the publication are removed. Refused once
    /// the catalog names the target (resume then).
    /// </summary>
    public async Task<TenantMove> AbortAsync(TenantSlug slug, CancellationToken cancellationToken = default)
    {
        var move = await FindInProgressAsync(slug, cancellationToken).ConfigureAwait(false)
            ?? throw new TenantRagException($"tenant '{slug}' has no move in progress: nothing to abort");
        if (move.Step == MoveSteps.Switched)
        {
            throw new TenantRagException($"the move of tenant '{slug}' is past its switch (the catalog names {move.To}): it cannot be rolled back; 'tenantrag tenant move {slug} --resume' finishes it");
        }

        var source = await BootstrapAsync(move.From, cancellationToken).ConfigureAwait(false);
        var target = await BootstrapAsync(move.To, cancellationToken).ConfigureAwait(false);
        await DropSubscriptionAsync(move, target, source, cancellationToken).ConfigureAwait(false);
        await DropPublicationAndSlotAsync(move, source, cancellationToken).ConfigureAwait(false);
        await using (var conn = await OpenAsync(source, move.From.Database, cancellationToken).ConfigureAwait(false))
        {
            await ExecuteAsync(conn, "UPDATE tenantrag.tenant_registry SET fenced_at = NULL WHERE id = $1", cancellationToken, move.TenantId).ConfigureAwait(false);
            await ExecuteAsync(conn, "DELETE FROM tenantrag.move_markers WHERE move_id = $1", cancellationToken, move.Id).ConfigureAwait(false);
        }

        await RemoveCopyAsync(move, move.To, cancellationToken).ConfigureAwait(false);
        await SetStepAsync(move, MoveSteps.Aborted, null, cancellationToken).ConfigureAwait(false);
        database.Sessions.Invalidate(move.Slug);
        return move with { Step = MoveSteps.Aborted };
    }

    /// <summary>
    /// Moves every tenant off <paramref name="server"/>, online and one at a time, each in its model to the active
    /// server with the most free capacity (a move it finds in progress is finished first). The server is marked
    /// draining first, so no new tenant is placed on it; once empty, <c>tenantrag server remove</c> takes it out.
    /// </summary>
    public async Task<IReadOnlyList<MoveReport>> DrainAsync(string server, Func<MoveReport, Task>? moved = null, CancellationToken cancellationToken = default)
    {
        ServerName.Parse(server, "server");
        using (var catalog = database.Registry.Admin(Primary, Primary.Names.Catalog))
        await using (var mark = catalog.DataSource.CreateCommand("UPDATE tenantrag.servers SET status = 'draining' WHERE id = $1 AND status <> 'removed'"))
        {
            mark.Parameters.Add(new() { Value = server });
            if (await mark.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
            {
                throw new TenantRagException($"there is no server '{server}' in the fleet: 'tenantrag server list' shows them");
            }
        }

        var reports = new List<MoveReport>();
        foreach (var tenant in await database.Catalog.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            if (tenant.Status != "active")
            {
                continue;
            }

            var report = await FindInProgressAsync(tenant.Slug, cancellationToken).ConfigureAwait(false) is not null
                ? await ResumeAsync(tenant.Slug, cancellationToken).ConfigureAwait(false)
                : tenant.Server == server
                    ? await MoveAsync(tenant.Slug, await database.Catalog.Placement.ChooseAsync(null, cancellationToken).ConfigureAwait(false), null, cancellationToken).ConfigureAwait(false)
                    : null;
            if (report is not null && report.Move.From.Server == server)
            {
                reports.Add(report);
                if (moved is not null)
                {
                    await moved(report).ConfigureAwait(false);
                }
            }
        }

        return reports;
    }

    /// <summary>The tenant's move in progress, if any.</summary>
    public async Task<TenantMove?> FindInProgressAsync(TenantSlug slug, CancellationToken cancellationToken = default)
    {
        using var catalog = database.Registry.Admin(Primary, Primary.Names.Catalog);
        await using var cmd = catalog.DataSource.CreateCommand($"""
            SELECT id, tenant_id, slug, source_server, source_database, source_mode, target_server, target_database, target_mode, step
            FROM tenantrag.tenant_moves WHERE slug = $1 AND {MoveSteps.InProgressSql}
            """);
        cmd.Parameters.Add(new() { Value = slug.Value });
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return new TenantMove
        {
            Id = reader.GetString(0),
            TenantId = reader.GetString(1),
            Slug = TenantSlug.Parse(reader.GetString(2)),
            From = new TenantPlace(reader.GetString(3), reader.GetString(4), TenancyModes.Parse(reader.GetString(5))),
            To = new TenantPlace(reader.GetString(6), reader.GetString(7), TenancyModes.Parse(reader.GetString(8))),
            Step = reader.GetString(9),
        };
    }

    private async Task<MoveReport> RunAsync(TenantMove move, CancellationToken cancellationToken)
    {
        try
        {
            return await RunStepsAsync(move, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The record says where it stopped and why; the tenant is served from exactly one place meanwhile.
            var at = await FindInProgressAsync(move.Slug, CancellationToken.None).ConfigureAwait(false);
            if (at is not null)
            {
                await SetStepAsync(at, at.Step, ex.Message, CancellationToken.None).ConfigureAwait(false);
            }

            var step = at?.Step ?? move.Step;
            var next = step == MoveSteps.Switched ? "'--resume' finishes it" : "'--resume' continues it, '--abort' rolls it back";
            throw new TenantRagException($"the move of tenant '{move.Slug}' stopped at step {step}: {ex.Message} ('tenantrag tenant move {move.Slug}' {next})", ex);
        }
    }

    private async Task<MoveReport> RunStepsAsync(TenantMove move, CancellationToken cancellationToken)
    {
        TimeSpan? copy = null, catchUp = null, fence = null;
        var source = await BootstrapAsync(move.From, cancellationToken).ConfigureAwait(false);
        var target = await BootstrapAsync(move.To, cancellationToken).ConfigureAwait(false);
        if (move.Step == MoveSteps.Preparing)
        {
            await PrepareTargetAsync(move, cancellationToken).ConfigureAwait(false);
            await StepDoneAsync(move, cancellationToken).ConfigureAwait(false);
            move = await SetStepAsync(move, MoveSteps.Copying, null, cancellationToken).ConfigureAwait(false);
        }

        if (move.Step == MoveSteps.Copying)
        {
            copy = await CopyAsync(move, source, target, cancellationToken).ConfigureAwait(false);
            catchUp = await MarkAndWaitAsync(move, source, target, "catch-up", cancellationToken).ConfigureAwait(false);
            await StepDoneAsync(move, cancellationToken).ConfigureAwait(false);
            move = await SetStepAsync(move, MoveSteps.Fenced, null, cancellationToken).ConfigureAwait(false);
        }

        if (move.Step == MoveSteps.Fenced)
        {
            var fenced = Stopwatch.StartNew();
            await FenceAsync(move, source, target, cancellationToken).ConfigureAwait(false);
            await StepDoneAsync(move, cancellationToken).ConfigureAwait(false);
            await SwitchAsync(move, copy, catchUp, fenced, cancellationToken).ConfigureAwait(false);
            fence = fenced.Elapsed;
            move = move with { Step = MoveSteps.Switched };
        }

        if (move.Step == MoveSteps.Switched)
        {
            await StepDoneAsync(move, cancellationToken).ConfigureAwait(false);
            await CleanUpAsync(move, source, target, cancellationToken).ConfigureAwait(false);
            move = await SetStepAsync(move, MoveSteps.Done, null, cancellationToken).ConfigureAwait(false);
        }

        var rows = await CountRowsAsync(move, target, cancellationToken).ConfigureAwait(false);
        return new MoveReport { Move = move, Copy = copy, CatchUp = catchUp, Fence = fence, Rows = rows };
    }

    private Task StepDoneAsync(TenantMove move, CancellationToken cancellationToken) =>
        AfterStep is null ? Task.CompletedTask : AfterStep(move.Step, move, cancellationToken);

    // A dedicated target: its role and a database copied from the target server's template. Made afresh on a resume
    // (whatever an interrupted attempt left is dropped first); a shared target needs nothing.
    private async Task PrepareTargetAsync(TenantMove move, CancellationToken cancellationToken)
    {
        if (move.To.Mode != TenancyMode.Dedicated)
        {
            return;
        }

        var on = await database.Sessions.Servers.GetAsync(move.To.Server, cancellationToken).ConfigureAwait(false);
        await database.Catalog.DropDedicatedAsync(on, move.Slug, cancellationToken).ConfigureAwait(false);
        await database.Catalog.ProvisionDedicatedAsync(on, move.Slug, cancellationToken).ConfigureAwait(false);
    }

    // Nothing of the tenant left where a rolled-back move copied it: a dedicated target is dropped, a shared one loses
    // the tenant's rows and registry entry (those of other tenants are untouched).
    private async Task RemoveCopyAsync(TenantMove move, TenantPlace place, CancellationToken cancellationToken)
    {
        var on = await database.Sessions.Servers.GetAsync(place.Server, cancellationToken).ConfigureAwait(false);
        if (place.Mode == TenancyMode.Dedicated)
        {
            await database.Catalog.DropDedicatedAsync(on, move.Slug, cancellationToken).ConfigureAwait(false);
            return;
        }

        using var admin = database.Registry.Admin(on, place.Database);
        await Tenancy.TenantRegistry.DeleteTenantRowsAsync(admin.DataSource, move.TenantId, cancellationToken).ConfigureAwait(false);
        await using var markers = admin.DataSource.CreateCommand("DELETE FROM tenantrag.move_markers WHERE move_id = $1");
        markers.Parameters.Add(new() { Value = move.Id });
        await markers.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<(long Documents, long Chunks)?> CountRowsAsync(TenantMove move, ServerEndpoint target, CancellationToken cancellationToken)
    {
        if (move.Step != MoveSteps.Done)
        {
            return null;
        }

        await using var conn = await OpenAsync(target, move.To.Database, cancellationToken).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand("SELECT (SELECT count(*) FROM public.documents WHERE tenant_id = $1), (SELECT count(*) FROM public.chunks WHERE tenant_id = $1)", conn);
        cmd.Parameters.Add(new() { Value = move.TenantId });
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    // Both servers stream logical changes, and both databases are at the same schema version (the subscription maps
    // tables column by column).
    private async Task CheckServersAsync(TenantMove move, CancellationToken cancellationToken)
    {
        int? sourceVersion = null;
        foreach (var (place, database) in new[] { (move.From, move.From.Database), (move.To, move.To.Mode == TenancyMode.Dedicated ? Primary.Names.Template : move.To.Database) })
        {
            var endpoint = await BootstrapAsync(place, cancellationToken).ConfigureAwait(false);
            await using var conn = await OpenAsync(endpoint, database, cancellationToken).ConfigureAwait(false);
            await using var cmd = new NpgsqlCommand("SELECT current_setting('wal_level'), (SELECT coalesce(max(version), 0) FROM tenantrag.migrations)", conn);
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var (walLevel, version) = (reader.GetString(0), reader.GetInt32(1));
            if (walLevel != "logical")
            {
                throw new TenantRagException($"server '{place.Server}' has wal_level = {walLevel}: moves need logical replication (ALTER SYSTEM SET wal_level = logical; then restart it); nothing changed");
            }

            if (sourceVersion is { } expected && version != expected)
            {
                throw new TenantRagException($"database {database} on server '{place.Server}' is at schema version {version}, the source at {expected}: run 'tenantrag migrate' first; nothing changed");
            }

            sourceVersion = version;
        }
    }

    private async Task RecordStartAsync(TenantMove move, CancellationToken cancellationToken)
    {
        using var catalog = database.Registry.Admin(Primary, Primary.Names.Catalog);
        await using var cmd = catalog.DataSource.CreateCommand("""
            INSERT INTO tenantrag.tenant_moves (id, tenant_id, slug, source_server, source_database, source_mode, target_server, target_database, target_mode, step)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'preparing')
            """);
        foreach (var value in new object[] { move.Id, move.TenantId, move.Slug.Value, move.From.Server, move.From.Database, move.From.Mode.ToName(), move.To.Server, move.To.Database, move.To.Mode.ToName() })
        {
            cmd.Parameters.Add(new() { Value = value });
        }

        try
        {
            await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw new TenantRagException($"tenant '{move.Slug}' has a move in progress: 'tenantrag tenant move {move.Slug} --resume' finishes it, '--abort' rolls it back; nothing changed");
        }
    }

    private async Task<TenantMove> SetStepAsync(TenantMove move, string step, string? error, CancellationToken cancellationToken)
    {
        using var catalog = database.Registry.Admin(Primary, Primary.Names.Catalog);
        await using var cmd = catalog.DataSource.CreateCommand("""
            UPDATE tenantrag.tenant_moves SET step = $2, error = $3, updated_at = now(),
                finished_at = CASE WHEN $2 IN ('done', 'aborted') THEN now() END
            WHERE id = $1
            """);
        cmd.Parameters.Add(new() { Value = move.Id });
        cmd.Parameters.Add(new() { Value = step });
        cmd.Parameters.Add(new() { Value = (object?)error ?? DBNull.Value, DataTypeName = "text" });
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return move with { Step = step };
    }

    private Task<ServerEndpoint> BootstrapAsync(TenantPlace place, CancellationToken cancellationToken) =>
        fleet.BootstrapEndpointAsync(place.Server, cancellationToken);

    // One connection as the server's bootstrap role, not pooled (and never logged: statements may carry a password).
    private static async Task<NpgsqlConnection> OpenAsync(ServerEndpoint endpoint, string database, CancellationToken cancellationToken)
    {
        var builder = endpoint.ConnectionString(endpoint.BootstrapUsername, endpoint.BootstrapPassword, database);
        builder.Pooling = false;
        builder.ApplicationName = "tenantrag-move";
        var connection = new NpgsqlConnection(builder.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task<int> ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params object[] parameters)
    {
        await using var cmd = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            cmd.Parameters.Add(new() { Value = parameter });
        }

        return await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params object[] parameters)
    {
        await using var cmd = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            cmd.Parameters.Add(new() { Value = parameter });
        }

        return (T)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    private static string NewId()
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
        return RandomNumberGenerator.GetString(alphabet, 12);
    }
}
