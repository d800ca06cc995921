using Npgsql;
using TenantRag.Tenancy;

namespace TenantRag.Postgres.Drills;

public sealed partial class LeakDrills
{
    // How many times client B reconnects through the pooler to land on the server connection client A used.
    private const int BackendAttempts = 50;

    /// <summary>
    /// The pitfall of the session-variable approach, shown live through the transaction pooler in front of the
    /// subject's server (<c>Database:PoolerUrl</c> for the primary, <c>server set --pooler-url</c> for another; the
    /// subject must be a shared tenant): client A runs the session-level
    /// <c>SET app.current_tenant_id</c> many RLS guides show; client B, through the same pooler, lands on A's server
    /// connection and reads A's value. Passes only when B sees nothing of A's, so with a transaction pooler it
    /// fails: the leak is real. It resets the setting on the connection it leaked to.
    /// </summary>
    public async Task<DrillResult> SessionSetThroughPoolerAsync(DrillSubject subject, CancellationToken cancellationToken = default)
    {
        var connectionString = await PoolerConnectionStringAsync(subject, cancellationToken).ConfigureAwait(false);
        var valueOfA = subject.Tenant.Id;
        int pidOfA;
        await using (var clientA = await OpenAsync(connectionString, cancellationToken).ConfigureAwait(false))
        await using (var batch = new NpgsqlBatch(clientA))
        {
            // SET takes no parameters; a catalog id is a UUID or a slug, and the literal is quoted all the same.
            batch.BatchCommands.Add(new NpgsqlBatchCommand($"SET app.current_tenant_id = '{valueOfA.Replace("'", "''", StringComparison.Ordinal)}'"));
            batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT pg_backend_pid()"));
            pidOfA = (int)(await batch.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }

        // Client B: a new client of the pooler, sets nothing, asks what its server connection holds (and resets it,
        // in the same transaction, so the drill leaves no poisoned connection behind).
        var (pidOfB, seen) = await ProbeBackendAsync(connectionString, pidOfA,
            "SELECT pg_backend_pid(), coalesce(current_setting('app.current_tenant_id', true), '')", "RESET app.current_tenant_id", cancellationToken).ConfigureAwait(false);
        var leaked = pidOfB == pidOfA && seen == valueOfA;
        return Result(subject, "pooler-session-set", pidOfB == pidOfA && !leaked,
            $"through a transaction pooler, client A runs SET app.current_tenant_id = '{subject.Tenant.Slug}'s id' (backend pid {pidOfA}); client B connects and sets nothing",
            leaked
                ? $"leaked: client B got backend pid {pidOfB}, A's, and read app.current_tenant_id = '{seen}', A's tenant"
                : $"client B got backend pid {pidOfB} and read app.current_tenant_id = '{seen}'");
    }

    /// <summary>
    /// The same two clients through the same pooler, using TenantRag's tenant sessions (<c>SET LOCAL ROLE</c> and
    /// <c>set_config(..., true)</c> in one transaction): the server connection A used carries no role, tenant or claims
    /// over, and B's session on it sees only B's rows. Passes when both hold on A's server connection.
    /// </summary>
    public async Task<DrillResult> TenantSessionsThroughPoolerAsync(DrillSubject subject, CancellationToken cancellationToken = default)
    {
        var connectionString = await PoolerConnectionStringAsync(subject, cancellationToken).ConfigureAwait(false);
        int pidOfA, ownOfA;
        await using (var sessionA = await database.Sessions.OpenSessionAsync(Context(subject), cancellationToken).ConfigureAwait(false))
        {
            pidOfA = await ScalarAsync<int>(sessionA.CreateCommand("SELECT pg_backend_pid()"), cancellationToken).ConfigureAwait(false);
            ownOfA = (await ClassifyAsync(sessionA.CreateCommand("SELECT tenant_id, owner_id, visibility FROM public.documents"), subject.Tenant.Id, subject.User.Value, cancellationToken).ConfigureAwait(false)).Own;
            await sessionA.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        var (probePid, leftover) = await ProbeBackendAsync(connectionString, pidOfA,
            "SELECT pg_backend_pid(), concat_ws('|', current_user, coalesce(current_setting('tenantrag.tenant_id', true), ''), coalesce(current_setting('request.jwt.claims', true), ''))",
            null, cancellationToken).ConfigureAwait(false);
        var clean = probePid == pidOfA && leftover.Split('|') is [var role, "", ""] && role != "authenticated";

        // Client B, another shared tenant, on A's server connection (pooled LIFO, so the next transaction gets it).
        var userOfB = UserId.Parse("intruder");
        int pidOfB = 0, ownOfB = 0, foreignOfB = 0;
        long rowsOfA = 0;
        string tenantOfB = string.Empty;
        for (var attempt = 0; attempt < BackendAttempts && pidOfB != pidOfA; attempt++)
        {
            await using var sessionB = await database.Sessions.OpenSessionAsync(TenantContext.For(subject.ForeignTenant.Slug, userOfB), cancellationToken).ConfigureAwait(false);
            pidOfB = await ScalarAsync<int>(sessionB.CreateCommand("SELECT pg_backend_pid()"), cancellationToken).ConfigureAwait(false);
            tenantOfB = await ScalarAsync<string>(sessionB.CreateCommand("SELECT current_setting('tenantrag.tenant_id')"), cancellationToken).ConfigureAwait(false);
            (ownOfB, foreignOfB) = await ClassifyAsync(sessionB.CreateCommand("SELECT tenant_id, owner_id, visibility FROM public.documents"), subject.ForeignTenant.Id, userOfB.Value, cancellationToken).ConfigureAwait(false);
            await using var cmd = sessionB.CreateCommand("SELECT count(*) FROM public.documents WHERE tenant_id = $1");
            cmd.Parameters.Add(new() { Value = subject.Tenant.Id });
            rowsOfA = await ScalarAsync<long>(cmd, cancellationToken).ConfigureAwait(false);
        }

        var passed = clean && pidOfB == pidOfA && ownOfA > 0 && ownOfB > 0 && foreignOfB == 0 && rowsOfA == 0 && tenantOfB == subject.ForeignTenant.Id;
        return Result(subject, "pooler-tenant-sessions", passed,
            $"through a transaction pooler, {subject.Tenant.Slug}/{subject.User} works in a tenant session (backend pid {pidOfA}), then {subject.ForeignTenant.Slug}/{userOfB} does",
            $"left on pid {probePid}: '{leftover}' (role|tenant|claims); {subject.ForeignTenant.Slug}'s session on pid {pidOfB} has tenant {(tenantOfB == subject.ForeignTenant.Id ? "its own" : $"'{tenantOfB}'")}, " +
            $"sees {ownOfB} own rows, {foreignOfB} foreign rows and {rowsOfA} of {subject.Tenant.Slug}'s");
    }

    /// <summary>Both pooler drills, for a shared subject on a server with a pooler.</summary>
    public async Task<IReadOnlyList<DrillResult>> RunPoolerAsync(DrillSubject subject, CancellationToken cancellationToken = default) =>
    [
        await SessionSetThroughPoolerAsync(subject, cancellationToken).ConfigureAwait(false),
        await TenantSessionsThroughPoolerAsync(subject, cancellationToken).ConfigureAwait(false),
    ];

    // The serving role's connection to the shared database of the subject's server through that server's pooler,
    // unpooled in this process: every client is a new client of PgBouncer, as another serving process would be.
    private async Task<string> PoolerConnectionStringAsync(DrillSubject subject, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subject);
        if (subject.Tenant.Mode != TenancyMode.Shared || subject.ForeignTenant.Database != subject.Tenant.Database)
        {
            throw new ArgumentException("the pooler drills need two shared tenants of one shared database", nameof(subject));
        }

        var server = await ServerOfAsync(subject.Tenant, cancellationToken).ConfigureAwait(false);
        if (server.Options.PoolerAddress() is null)
        {
            throw new InvalidOperationException($"the pooler drills need a PgBouncer in transaction mode in front of the shared database of server '{server.ServerId}' " +
                "(Database:PoolerUrl for the primary, 'tenantrag server set <name> --pooler-url' for another)");
        }

        return new NpgsqlConnectionStringBuilder(server.AppConnectionString(subject.Tenant.Database, 1)) { Pooling = false }.ConnectionString;
    }

    private static async Task<NpgsqlConnection> OpenAsync(string connectionString, CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }

    // Connects again and again (a new pooler client each time) until the pooler hands over backend wantedPid; returns
    // the pid and text of the last probe. The optional cleanup runs in the probe's transaction, on the same backend.
    private static async Task<(int Pid, string Seen)> ProbeBackendAsync(string connectionString, int wantedPid, string probe, string? cleanup, CancellationToken cancellationToken)
    {
        (int Pid, string Seen) last = (0, string.Empty);
        for (var attempt = 0; attempt < BackendAttempts && last.Pid != wantedPid; attempt++)
        {
            await using var client = await OpenAsync(connectionString, cancellationToken).ConfigureAwait(false);
            await using var batch = new NpgsqlBatch(client);
            batch.BatchCommands.Add(new NpgsqlBatchCommand(probe));
            if (cleanup is not null)
            {
                batch.BatchCommands.Add(new NpgsqlBatchCommand(cleanup));
            }

            await using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            last = (reader.GetInt32(0), reader.GetString(1));
        }

        return last;
    }
}
