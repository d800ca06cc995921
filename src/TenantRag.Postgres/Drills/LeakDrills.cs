using Npgsql;
using TenantRag.Postgres.Tenancy;
using TenantRag.Tenancy;

namespace TenantRag.Postgres.Drills;

/// <summary>
/// The leak drills of docs/DESIGN.md §8: application bugs (a missing or tautological WHERE, a reused pooled connection,
/// no context, another user's private id, a forged tenant id) run against the real database, and the drill passes
/// only when PostgreSQL itself kept every foreign row out.
/// </summary>
public sealed partial class LeakDrills(TenantRagDatabase database)
{
    private const string InsufficientPrivilege = PostgresErrorCodes.InsufficientPrivilege;

    private Installation.Installation Installation => database.Installation;

    // The installation on the server the tenant lives on (the primary, or another server of the fleet): the drills
    // reach a tenant where its sessions do, through that server's pooler when it has one.
    private ValueTask<Installation.Installation> ServerOfAsync(TenantInfo tenant, CancellationToken cancellationToken) =>
        database.Sessions.Servers.ForAsync(tenant, cancellationToken);

    /// <summary>Runs drills (a)-(f) for the subject's model.</summary>
    public async Task<IReadOnlyList<DrillResult>> RunAsync(DrillSubject subject, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subject);
        return
        [
            await NoWhereAsync(subject, cancellationToken).ConfigureAwait(false),
            await TautologyAsync(subject, cancellationToken).ConfigureAwait(false),
            await PooledConnectionReuseAsync(subject, cancellationToken).ConfigureAwait(false),
            await NoContextAsync(subject, cancellationToken).ConfigureAwait(false),
            await PrivateDocumentAsync(subject, cancellationToken).ConfigureAwait(false),
            await ForeignTenantInsertAsync(subject, cancellationToken).ConfigureAwait(false),
        ];
    }

    /// <summary>
    /// As the admin, writes a row of <paramref name="claimedTenant"/> into <paramref name="target"/>'s database: what a
    /// bug that opened the wrong database would leave behind (registering the claimed tenant there too, since the
    /// registry's foreign keys refuse a row of a tenant that does not live in the database). The drills then show the
    /// policies hide it. <see cref="RemoveForeignRowsAsync"/> takes it away again.
    /// </summary>
    public async Task PlantForeignRowAsync(TenantInfo target, TenantInfo claimedTenant, string owner, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(claimedTenant);
        using var admin = database.Registry.Admin(await ServerOfAsync(target, cancellationToken).ConfigureAwait(false), target.Database);
        await TenantRegistry.RegisterAsync(admin.DataSource, claimedTenant.Id, claimedTenant.Slug, cancellationToken).ConfigureAwait(false);
        await using var cmd = admin.DataSource.CreateCommand("""
            INSERT INTO public.documents (tenant_id, owner_id, visibility, title, content_hash)
            VALUES ($1, $2, 'tenant', 'canary: a row of another tenant in this database', 'canary')
            """);
        cmd.Parameters.Add(new() { Value = claimedTenant.Id });
        cmd.Parameters.Add(new() { Value = owner });
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Removes what <see cref="PlantForeignRowAsync"/> planted (rows and registry entry of the claimed tenant).</summary>
    public async Task RemoveForeignRowsAsync(TenantInfo target, TenantInfo claimedTenant, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(claimedTenant);
        if (target.Database == claimedTenant.Database)
        {
            throw new ArgumentException("the claimed tenant lives in the target's database: its rows are not planted ones", nameof(claimedTenant));
        }

        using var admin = database.Registry.Admin(await ServerOfAsync(target, cancellationToken).ConfigureAwait(false), target.Database);
        await TenantRegistry.DeleteTenantRowsAsync(admin.DataSource, claimedTenant.Id, cancellationToken).ConfigureAwait(false);
    }

    private static string Model(DrillSubject subject) => subject.Tenant.Mode.ToName();

    private TenantContext Context(DrillSubject subject) => TenantContext.For(subject.Tenant.Slug, subject.User);

    // (a) The application's list query with its tenant WHERE forgotten.
    private async Task<DrillResult> NoWhereAsync(DrillSubject subject, CancellationToken cancellationToken)
    {
        var (own, foreign) = await CountVisibleAsync(subject, "SELECT tenant_id, owner_id, visibility FROM public.documents", cancellationToken).ConfigureAwait(false);
        return Result(subject, "no-where", foreign == 0 && own > 0,
            "SELECT ... FROM documents with no WHERE clause",
            $"{own} own rows, {foreign} foreign rows");
    }

    // (b) A WHERE that is always true.
    private async Task<DrillResult> TautologyAsync(DrillSubject subject, CancellationToken cancellationToken)
    {
        var (own, foreign) = await CountVisibleAsync(subject, "SELECT tenant_id, owner_id, visibility FROM public.documents WHERE tenant_id = tenant_id OR 1 = 1", cancellationToken).ConfigureAwait(false);
        return Result(subject, "tautology", foreign == 0 && own > 0,
            "WHERE tenant_id = tenant_id OR 1 = 1",
            $"{own} own rows, {foreign} foreign rows");
    }

    /// <summary>Counts rows the subject's user may see and rows it must not, for a query run in its session.</summary>
    private async Task<(int Own, int Foreign)> CountVisibleAsync(DrillSubject subject, string sql, CancellationToken cancellationToken)
    {
        await using var session = await database.Sessions.OpenSessionAsync(Context(subject), cancellationToken).ConfigureAwait(false);
        await using var cmd = session.CreateCommand(sql);
        return await ClassifyAsync(cmd, subject.Tenant.Id, subject.User.Value, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<(int Own, int Foreign)> ClassifyAsync(NpgsqlCommand cmd, string tenant, string user, CancellationToken cancellationToken)
    {
        int own = 0, foreign = 0;
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var allowed = reader.GetString(0) == tenant && (reader.GetString(2) == "tenant" || reader.GetString(1) == user);
            if (allowed)
            {
                own++;
            }
            else
            {
                foreign++;
            }
        }

        return (own, foreign);
    }

    // (c) One physical connection serves the subject, then another tenant. In the dedicated model the second
    // request is misrouted into the subject's database, as an application bug would do.
    private async Task<DrillResult> PooledConnectionReuseAsync(DrillSubject subject, CancellationToken cancellationToken)
    {
        var server = await ServerOfAsync(subject.Tenant, cancellationToken).ConfigureAwait(false);
        var connectionString = subject.Tenant.Mode == TenancyMode.Shared
            ? server.AppConnectionString(subject.Tenant.Database, maxPoolSize: 1)
            : server.DedicatedConnectionString(subject.Tenant.Slug, maxPoolSize: 1);
        await using var registry = new DataSourceRegistry(TimeSpan.FromMinutes(1));
        const string key = "drill";

        int firstPid, ownSeen;
        await using (var first = await TenantSession.OpenAsync(Context(subject), subject.Tenant, registry.Acquire(key, () => connectionString), cancellationToken).ConfigureAwait(false))
        {
            firstPid = await ScalarAsync<int>(first.CreateCommand("SELECT pg_backend_pid()"), cancellationToken).ConfigureAwait(false);
            ownSeen = (await ClassifyAsync(first.CreateCommand("SELECT tenant_id, owner_id, visibility FROM public.documents"), subject.Tenant.Id, subject.User.Value, cancellationToken).ConfigureAwait(false)).Own;
            await first.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        // What does the next borrower inherit? Look before any context is set.
        int secondPid;
        string leftoverRole, leftoverTenant, leftoverClaims;
        using (var lease = registry.Acquire(key, () => connectionString))
        await using (var raw = await lease.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false))
        await using (var probe = new NpgsqlCommand("SELECT pg_backend_pid(), current_user::text, coalesce(current_setting('tenantrag.tenant_id', true), ''), coalesce(current_setting('request.jwt.claims', true), '')", raw))
        await using (var reader = await probe.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            (secondPid, leftoverRole, leftoverTenant, leftoverClaims) = (reader.GetInt32(0), reader.GetString(1), reader.GetString(2), reader.GetString(3));
        }

        // The intruder's session is opened on the subject's connection: its identity is the other tenant's, the route is wrong.
        var intruder = TenantContext.For(subject.ForeignTenant.Slug, UserId.Parse("intruder"));
        int thirdPid, subjectRowsSeen;
        await using (var third = await TenantSession.OpenAsync(intruder, subject.ForeignTenant, registry.Acquire(key, () => connectionString), cancellationToken).ConfigureAwait(false))
        {
            thirdPid = await ScalarAsync<int>(third.CreateCommand("SELECT pg_backend_pid()"), cancellationToken).ConfigureAwait(false);
            // The intruder asks for the subject's rows outright; only the policy stands in the way.
            await using var cmd = third.CreateCommand("SELECT count(*)::int FROM public.documents WHERE tenant_id = $1");
            cmd.Parameters.Add(new() { Value = subject.Tenant.Id });
            subjectRowsSeen = await ScalarAsync<int>(cmd, cancellationToken).ConfigureAwait(false);
        }

        var samePhysical = firstPid == secondPid && secondPid == thirdPid;
        var clean = leftoverTenant.Length == 0 && leftoverClaims.Length == 0 && leftoverRole != "authenticated";
        return Result(subject, "pooled-connection-reuse", samePhysical && clean && ownSeen > 0 && subjectRowsSeen == 0,
            $"one physical connection (pid {firstPid}) serves {subject.Tenant.Slug}/{subject.User}, then {intruder}",
            $"same backend: {samePhysical}; left over: role '{leftoverRole}', tenant '{leftoverTenant}', claims '{leftoverClaims}'; " +
            $"the next tenant saw {subjectRowsSeen} of {subject.Tenant.Slug}'s rows");
    }

    // (d) A transaction that switched role but never set a tenant or user.
    private async Task<DrillResult> NoContextAsync(DrillSubject subject, CancellationToken cancellationToken)
    {
        var server = await ServerOfAsync(subject.Tenant, cancellationToken).ConfigureAwait(false);
        var lease = subject.Tenant.Mode == TenancyMode.Shared
            ? database.Registry.App(server, subject.Tenant.Database, server.Options.SharedMaxPoolSize)
            : database.Registry.Dedicated(server, subject.Tenant.Slug);
        using (lease)
        {
            await using var connection = await lease.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            long documents, chunks;
            await using (var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
            {
                await new NpgsqlCommand("SET LOCAL ROLE authenticated", connection, tx).ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                documents = await ScalarAsync<long>(new NpgsqlCommand("SELECT count(*) FROM public.documents", connection, tx), cancellationToken).ConfigureAwait(false);
                chunks = await ScalarAsync<long>(new NpgsqlCommand("SELECT count(*) FROM public.chunks", connection, tx), cancellationToken).ConfigureAwait(false);
            }

            // And without even the role switch, the login role itself holds no privilege on tenant tables.
            string loginRole;
            await using (var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    await ScalarAsync<long>(new NpgsqlCommand("SELECT count(*) FROM public.documents", connection, tx), cancellationToken).ConfigureAwait(false);
                    loginRole = "could read documents";
                }
                catch (PostgresException ex) when (ex.SqlState == InsufficientPrivilege)
                {
                    loginRole = "permission denied";
                }
            }

            return Result(subject, "no-context", documents == 0 && chunks == 0 && loginRole == "permission denied",
                "a transaction with no tenant or user set",
                $"as authenticated: {documents} documents, {chunks} chunks; as the login role: {loginRole}");
        }
    }

    // (e) A user asks for a colleague's private document by id, and tries to change and delete it.
    private async Task<DrillResult> PrivateDocumentAsync(DrillSubject subject, CancellationToken cancellationToken)
    {
        long read, updated, deleted;
        await using (var session = await database.Sessions.OpenSessionAsync(Context(subject), cancellationToken).ConfigureAwait(false))
        {
            read = await ScalarAsync<long>(WithId(session.CreateCommand("SELECT count(*) FROM public.documents WHERE id = $1"), subject.OtherUsersPrivateDocument), cancellationToken).ConfigureAwait(false);
            read += await ScalarAsync<long>(WithId(session.CreateCommand("SELECT count(*) FROM public.chunks WHERE document_id = $1"), subject.OtherUsersPrivateDocument), cancellationToken).ConfigureAwait(false);
            updated = await WithId(session.CreateCommand("UPDATE public.documents SET title = 'hijacked' WHERE id = $1"), subject.OtherUsersPrivateDocument).ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            deleted = await WithId(session.CreateCommand("DELETE FROM public.documents WHERE id = $1"), subject.OtherUsersPrivateDocument).ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await session.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        // The target must really exist, untouched: otherwise the drill proved nothing.
        string? title;
        using (var admin = database.Registry.Admin(await ServerOfAsync(subject.Tenant, cancellationToken).ConfigureAwait(false), subject.Tenant.Database))
        await using (var check = WithId(admin.DataSource.CreateCommand("SELECT title FROM public.documents WHERE id = $1"), subject.OtherUsersPrivateDocument))
        {
            title = await check.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
        }

        return Result(subject, "private-document", read == 0 && updated == 0 && deleted == 0 && title is not null && title != "hijacked",
            $"{subject.User} reads, updates and deletes {subject.OtherUser}'s private document by id",
            $"read {read} rows, updated {updated}, deleted {deleted}; document still there unchanged: {title is not null && title != "hijacked"}");
    }

    // (f) Writes that claim another tenant or another user.
    private async Task<DrillResult> ForeignTenantInsertAsync(DrillSubject subject, CancellationToken cancellationToken)
    {
        var foreignTenant = await RejectedAsync(subject, "INSERT INTO public.documents (tenant_id, title, content_hash) VALUES ($1, 'planted', 'x')", subject.ForeignTenant.Id, cancellationToken).ConfigureAwait(false);
        var foreignOwner = await RejectedAsync(subject, "INSERT INTO public.documents (owner_id, title, content_hash) VALUES ($1, 'planted', 'x')", subject.OtherUser.Value, cancellationToken).ConfigureAwait(false);
        var moveOut = await RejectedAsync(subject, "UPDATE public.documents SET tenant_id = $1 WHERE owner_id = current_setting('request.jwt.claims')::jsonb ->> 'sub'", subject.ForeignTenant.Id, cancellationToken).ConfigureAwait(false);
        return Result(subject, "foreign-tenant-insert", foreignTenant && foreignOwner && moveOut,
            $"insert a row with tenant_id '{subject.ForeignTenant.Slug}', one with owner '{subject.OtherUser}', and move an own row to '{subject.ForeignTenant.Slug}'",
            $"rejected by WITH CHECK: {foreignTenant}, {foreignOwner}, {moveOut}");
    }

    private async Task<bool> RejectedAsync(DrillSubject subject, string sql, string value, CancellationToken cancellationToken)
    {
        await using var session = await database.Sessions.OpenSessionAsync(Context(subject), cancellationToken).ConfigureAwait(false);
        await using var cmd = session.CreateCommand(sql);
        cmd.Parameters.Add(new() { Value = value });
        try
        {
            await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return false;
        }
        catch (PostgresException ex) when (ex.SqlState == InsufficientPrivilege)
        {
            // "new row violates row-level security policy": the session is rolled back on dispose.
            return true;
        }
    }

    private static NpgsqlCommand WithId(NpgsqlCommand cmd, Guid id)
    {
        cmd.Parameters.Add(new() { Value = id });
        return cmd;
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlCommand cmd, CancellationToken cancellationToken)
    {
        await using (cmd)
        {
            return (T)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }
    }

    private static DrillResult Result(DrillSubject subject, string name, bool passed, string attempt, string observed) => new()
    {
        Name = name,
        Model = Model(subject),
        Passed = passed,
        Attempt = attempt,
        Observed = observed,
    };
}
