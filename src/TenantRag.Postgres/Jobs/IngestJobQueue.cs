using Npgsql;
using TenantRag.Documents;
using TenantRag.Jobs;
using TenantRag.Postgres.Tenancy;
using TenantRag.Tenancy;

namespace TenantRag.Postgres.Jobs;

/// <summary>
/// The workers' side of upload jobs: finding tenants with work (the catalog's flag), claiming a job with a lease
/// (<c>FOR UPDATE SKIP LOCKED</c>, so several processes share the work and a dead worker's job is taken up again when
/// its lease expires), renewing the lease with progress, and finishing. Queue bookkeeping runs as the admin role on
/// the tenant's database; the upload is read, and the documents written, in the owner's tenant session. Every update
/// of a claimed job names the attempt that claimed it, so a worker that lost its lease changes nothing.
/// </summary>
public sealed class IngestJobQueue(TenantRagDatabase database)
{
    /// <summary>A tenant whose uploads wait, and when it was last flagged.</summary>
    public sealed record FlaggedTenant(TenantInfo Tenant, DateTimeOffset RequestedAt);

    /// <summary>A job this worker holds (attempt <see cref="Attempt"/>) until its lease expires.</summary>
    public sealed record ClaimedJob
    {
        /// <summary>The tenant the job belongs to.</summary>
        public required TenantInfo Tenant { get; init; }

        /// <summary>The job's id.</summary>
        public required Guid Id { get; init; }

        /// <summary>The uploader, whose session reads the upload and stores the documents.</summary>
        public required UserId Owner { get; init; }

        /// <summary>The documents' visibility.</summary>
        public required DocumentVisibility Visibility { get; init; }

        /// <summary>The file name extraction sees.</summary>
        public required string FileName { get; init; }

        /// <summary>The source key the documents are stored under.</summary>
        public required string Source { get; init; }

        /// <summary>A JSON upload's title, if any.</summary>
        public string? Title { get; init; }

        /// <summary>The upload's size.</summary>
        public required long ByteSize { get; init; }

        /// <summary>Which claim of the job this is (1 for the first).</summary>
        public required int Attempt { get; init; }

        /// <summary>The owner's context, bound to this creation of the tenant.</summary>
        public TenantContext Context => new() { Tenant = Tenant.Slug, User = Owner, TenantId = Tenant.Id };
    }

    private Installation.Installation Installation => database.Installation;

    /// <summary>Tenants flagged as having upload jobs, oldest flag first.</summary>
    public async Task<IReadOnlyList<FlaggedTenant>> FlaggedTenantsAsync(CancellationToken cancellationToken = default)
    {
        using var catalog = database.Registry.Admin(Installation, Installation.Names.Catalog);
        await using var cmd = catalog.DataSource.CreateCommand($"""
            SELECT {CatalogReader.Columns}, ingest_requested_at FROM tenantrag.tenants
            WHERE ingest_requested_at IS NOT NULL AND status = 'active' ORDER BY ingest_requested_at
            """);
        var flagged = new List<FlaggedTenant>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            flagged.Add(new FlaggedTenant(CatalogReader.Read(reader), reader.GetFieldValue<DateTimeOffset>(CatalogReader.Count)));
        }

        return flagged;
    }

    /// <summary>
    /// Claims the tenant's oldest job that is queued (and due) or whose worker's lease expired, for <paramref name="lease"/>;
    /// null when there is none free. The claim counts an attempt.
    /// </summary>
    public async Task<ClaimedJob?> TryClaimAsync(TenantInfo tenant, string worker, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        using var admin = await AdminAsync(tenant, cancellationToken).ConfigureAwait(false);
        await using var cmd = admin.DataSource.CreateCommand("""
            UPDATE public.ingest_jobs j
            SET status = 'running', stage = 'starting', attempt = j.attempt + 1, lease_owner = $2,
                lease_expires_at = now() + make_interval(secs => $3), started_at = coalesce(j.started_at, now()), updated_at = now()
            WHERE j.id = (
                SELECT id FROM public.ingest_jobs
                WHERE tenant_id = $1 AND ((status = 'queued' AND not_before <= now()) OR (status = 'running' AND lease_expires_at < now()))
                ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING j.id, j.owner_id, j.visibility, j.file_name, j.source, j.title, j.byte_size, j.attempt
            """);
        cmd.Parameters.Add(new() { Value = tenant.Id });
        cmd.Parameters.Add(new() { Value = worker });
        cmd.Parameters.Add(new() { Value = lease.TotalSeconds });
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return new ClaimedJob
        {
            Tenant = tenant,
            Id = reader.GetGuid(0),
            Owner = UserId.Parse(reader.GetString(1)),
            Visibility = DocumentVisibilities.Parse(reader.GetString(2)),
            FileName = reader.GetString(3),
            Source = reader.GetString(4),
            Title = reader.IsDBNull(5) ? null : reader.GetString(5),
            ByteSize = reader.GetInt64(6),
            Attempt = reader.GetInt32(7),
        };
    }

    /// <summary>Whether the tenant has a job that is not finished (queued, or running under any lease).</summary>
    public async Task<bool> HasUnfinishedAsync(TenantInfo tenant, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        using var admin = await AdminAsync(tenant, cancellationToken).ConfigureAwait(false);
        await using var cmd = admin.DataSource.CreateCommand("SELECT EXISTS (SELECT 1 FROM public.ingest_jobs WHERE tenant_id = $1 AND status IN ('queued', 'running'))");
        cmd.Parameters.Add(new() { Value = tenant.Id });
        return (bool)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>
    /// Clears the tenant's flag if it is still the one observed (an upload since then set a newer one) and older than
    /// <paramref name="grace"/> (by the database's clock): an upload flags before its commit, so a younger flag may
    /// belong to a job not visible yet.
    /// </summary>
    public async Task ClearFlagAsync(TenantInfo tenant, DateTimeOffset observed, TimeSpan grace, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        using var catalog = database.Registry.Admin(Installation, Installation.Names.Catalog);
        await using var cmd = catalog.DataSource.CreateCommand("""
            UPDATE tenantrag.tenants SET ingest_requested_at = NULL
            WHERE id = $1 AND ingest_requested_at = $2 AND ingest_requested_at < now() - make_interval(secs => $3)
            """);
        cmd.Parameters.Add(new() { Value = tenant.Id });
        cmd.Parameters.Add(new() { Value = observed });
        cmd.Parameters.Add(new() { Value = grace.TotalSeconds });
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Records progress and renews the lease for <paramref name="lease"/>; false when this attempt no longer holds the
    /// job (its lease expired and another worker took it, or the job is gone), and the worker must stop.
    /// </summary>
    public Task<bool> ReportAsync(ClaimedJob job, string stage, int chunksDone, int chunksTotal, TimeSpan lease, CancellationToken cancellationToken = default) =>
        UpdateAsync(job, """
            UPDATE public.ingest_jobs SET stage = $3, chunks_done = $4, chunks_total = $5, lease_expires_at = now() + make_interval(secs => $6), updated_at = now()
            WHERE id = $1 AND attempt = $2 AND status = 'running'
            """, [stage, chunksDone, chunksTotal, lease.TotalSeconds], cancellationToken);

    /// <summary>Marks the job succeeded with its documents and outcome, and deletes its upload, in one transaction.</summary>
    public Task<bool> CompleteAsync(ClaimedJob job, IReadOnlyList<Guid> documentIds, string resultJson, int chunks, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        return AtTenantAsync(job, admin => CompleteAtAsync(admin, job, documentIds, resultJson, chunks, cancellationToken), cancellationToken);
    }

    private static async Task<bool> CompleteAtAsync(DataSourceRegistry.Lease admin, ClaimedJob job, IReadOnlyList<Guid> documentIds, string resultJson, int chunks, CancellationToken cancellationToken)
    {
        await using var connection = await admin.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var done = new NpgsqlCommand("""
            UPDATE public.ingest_jobs
            SET status = 'succeeded', stage = 'done', document_ids = $3, result = $4::jsonb, error_reason = NULL, error_message = NULL,
                chunks_done = $5, chunks_total = $5, lease_expires_at = NULL, finished_at = now(), updated_at = now()
            WHERE id = $1 AND attempt = $2 AND status = 'running'
            """, connection, tx))
        {
            done.Parameters.Add(new() { Value = job.Id });
            done.Parameters.Add(new() { Value = job.Attempt });
            done.Parameters.Add(new() { Value = documentIds.ToArray() });
            done.Parameters.Add(new() { Value = resultJson });
            done.Parameters.Add(new() { Value = chunks });
            if (await done.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
            {
                return false;
            }
        }

        await using (var parts = new NpgsqlCommand("DELETE FROM public.ingest_job_parts WHERE job_id = $1", connection, tx))
        {
            parts.Parameters.Add(new() { Value = job.Id });
            await parts.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Marks the job failed for good, keeping its reason, the documents of the upload that were stored all the same
    /// (other lines of a corpus), and its upload until the retention sweep.
    /// </summary>
    public Task<bool> FailAsync(ClaimedJob job, string reason, string message, string? resultJson, IReadOnlyList<Guid> documentIds,
        CancellationToken cancellationToken = default) =>
        UpdateAsync(job, """
            UPDATE public.ingest_jobs
            SET status = 'failed', stage = 'done', error_reason = $3, error_message = $4, result = $5::jsonb, document_ids = $6,
                lease_expires_at = NULL, finished_at = now(), updated_at = now()
            WHERE id = $1 AND attempt = $2 AND status = 'running'
            """, [reason, message, (object?)resultJson ?? DBNull.Value, documentIds.ToArray()], cancellationToken);

    /// <summary>Puts the job back in the queue, due after <paramref name="delay"/>, keeping the error that made it wait.</summary>
    public Task<bool> RetryAsync(ClaimedJob job, TimeSpan delay, string reason, string message, CancellationToken cancellationToken = default) =>
        UpdateAsync(job, """
            UPDATE public.ingest_jobs
            SET status = 'queued', stage = 'queued', error_reason = $3, error_message = $4, not_before = now() + make_interval(secs => $5),
                lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
            WHERE id = $1 AND attempt = $2 AND status = 'running'
            """, [reason, message, delay.TotalSeconds], cancellationToken);

    /// <summary>Gives the job back untouched (the worker is shutting down): queued again at once, the attempt not counted.</summary>
    public Task<bool> ReleaseAsync(ClaimedJob job, CancellationToken cancellationToken = default) =>
        UpdateAsync(job, """
            UPDATE public.ingest_jobs SET status = 'queued', stage = 'queued', attempt = attempt - 1, lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
            WHERE id = $1 AND attempt = $2 AND status = 'running'
            """, [], cancellationToken);

    /// <summary>Copies the job's upload into <paramref name="destination"/>, read in the owner's session (row-level security).</summary>
    /// <exception cref="InvalidOperationException">The stored upload is not the size the job says.</exception>
    public async Task CopyUploadAsync(ClaimedJob job, Stream destination, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(destination);
        await using var session = await database.Sessions.OpenSessionAsync(job.Context, cancellationToken).ConfigureAwait(false);
        await using var cmd = session.CreateCommand("SELECT content FROM public.ingest_job_parts WHERE tenant_id = $1 AND job_id = $2 ORDER BY part");
        cmd.Parameters.Add(new() { Value = session.TenantId });
        cmd.Parameters.Add(new() { Value = job.Id });
        long copied = 0;
        await using (var reader = await cmd.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                await using var part = await reader.GetStreamAsync(0, cancellationToken).ConfigureAwait(false);
                await part.CopyToAsync(destination, cancellationToken).ConfigureAwait(false);
                copied += part.Length;
            }
        }

        if (copied != job.ByteSize)
        {
            throw new InvalidOperationException($"the stored upload of job {job.Id} holds {copied:N0} bytes instead of {job.ByteSize:N0}");
        }
    }

    /// <summary>The owner's documents stored from the job's source (the file's, or its corpus lines' <c>source#id</c>).</summary>
    public async Task<IReadOnlyList<Guid>> DocumentIdsAsync(ClaimedJob job, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        await using var session = await database.Sessions.OpenSessionAsync(job.Context, cancellationToken).ConfigureAwait(false);
        await using var cmd = session.CreateCommand("""
            SELECT id FROM public.documents
            WHERE tenant_id = $1 AND owner_id = (SELECT auth.user_id()) AND (source = $2 OR starts_with(source, $2 || '#'))
            ORDER BY source
            """);
        cmd.Parameters.Add(new() { Value = session.TenantId });
        cmd.Parameters.Add(new() { Value = job.Source });
        var ids = new List<Guid>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            ids.Add(reader.GetGuid(0));
        }

        return ids;
    }

    /// <summary>
    /// Deletes the uploads of jobs that failed more than <paramref name="failedUploads"/> ago and the rows of jobs that
    /// finished more than <paramref name="finishedJobs"/> ago, in the shared database and in the dedicated databases of
    /// tenants active within that time (no other can hold such jobs). Returns the uploads and jobs deleted.
    /// </summary>
    public async Task<(long Uploads, long Jobs)> SweepAsync(TimeSpan failedUploads, TimeSpan finishedJobs, CancellationToken cancellationToken = default)
    {
        var window = failedUploads > finishedJobs ? failedUploads : finishedJobs;
        // (server, database): the primary's shared database, the shared database of every server holding shared tenants.
        var databases = new HashSet<(string Server, string Database)> { (Installation.ServerId, Installation.Names.Shared) };
        foreach (var tenant in await database.Catalog.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            if (tenant.Mode == TenancyMode.Shared
                || (tenant is { Status: "active" } && tenant.LastActiveAt is { } active && active > DateTimeOffset.UtcNow - window - TimeSpan.FromDays(1)))
            {
                databases.Add((tenant.Server, tenant.Database));
            }
        }

        long uploads = 0, jobs = 0;
        foreach (var (server, name) in databases)
        {
            var on = await database.Sessions.Servers.GetAsync(server, cancellationToken).ConfigureAwait(false);
            using var admin = database.Registry.Admin(on, name);
            await using var batch = admin.DataSource.CreateBatch();
            batch.BatchCommands.Add(new NpgsqlBatchCommand($"""
                DELETE FROM public.ingest_job_parts p USING public.ingest_jobs j
                WHERE p.job_id = j.id AND j.status = 'failed' AND j.finished_at < now() - make_interval(secs => $1) AND {NotMoving}
                """) { Parameters = { new() { Value = failedUploads.TotalSeconds } } });
            batch.BatchCommands.Add(new NpgsqlBatchCommand($"DELETE FROM public.ingest_jobs j WHERE finished_at < now() - make_interval(secs => $1) AND {NotMoving}")
            {
                Parameters = { new() { Value = finishedJobs.TotalSeconds } },
            });
            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            uploads += batch.BatchCommands[0].RecordsAffected;
            jobs += batch.BatchCommands[1].RecordsAffected;
        }

        return (uploads, jobs);
    }

    // Jobs of tenants registered here and not being moved away: a moving tenant's writes are fenced in the database it
    // leaves (009_online_moves.sql), and one fenced row would fail the whole sweep of the database.
    private const string NotMoving = "j.tenant_id IN (SELECT id FROM tenantrag.tenant_registry WHERE fenced_at IS NULL)";

    // The admin role's pool on the tenant's database, on the server the catalog maps it to.
    private async Task<DataSourceRegistry.Lease> AdminAsync(TenantInfo tenant, CancellationToken cancellationToken) =>
        database.Registry.Admin(await database.Sessions.Servers.ForAsync(tenant, cancellationToken).ConfigureAwait(false), tenant.Database);

    private Task<bool> UpdateAsync(ClaimedJob job, string sql, object[] values, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        return AtTenantAsync(job, async admin =>
        {
            await using var cmd = admin.DataSource.CreateCommand(sql);
            cmd.Parameters.Add(new() { Value = job.Id });
            cmd.Parameters.Add(new() { Value = job.Attempt });
            foreach (var value in values)
            {
                cmd.Parameters.Add(value is DBNull ? new NpgsqlParameter { Value = value, DataTypeName = "text" } : new NpgsqlParameter { Value = value });
            }

            return await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        }, cancellationToken);
    }

    /// <summary>
    /// How long a worker's write on its job waits for a moving tenant's fence to end (the move switching, or rolled back)
    /// before it gives up and leaves the job to its lease. Longer than a request's wait
    /// (<see cref="TenantConnectionFactory.MovingWriteWait"/>): nobody waits on the answer, and waiting out the switch
    /// finishes the job at once where waiting out the lease would take it up again a lease later.
    /// </summary>
    public static TimeSpan MovingWriteWait { get; } = TimeSpan.FromSeconds(30);

    // Runs a write of the worker's on the job's row where its tenant lives. A tenant moved since the job was claimed
    // (tenant move) took the job's row along, same id and attempt: its old database refuses the write (the registry
    // fence of 009_online_moves.sql) or no longer has the row, so the write runs again where the catalog says the
    // tenant is now. Fenced where the catalog still names (the move is switching), it waits for the switch, up to
    // MovingWriteWait. False when the row is not this attempt's where the tenant lives (the lease was lost).
    private async Task<bool> AtTenantAsync(ClaimedJob job, Func<DataSourceRegistry.Lease, Task<bool>> work, CancellationToken cancellationToken)
    {
        var tenant = job.Tenant;
        var relocated = false;
        var fence = new FenceWait(MovingWriteWait);
        while (true)
        {
            bool done;
            try
            {
                using var admin = await AdminAsync(tenant, cancellationToken).ConfigureAwait(false);
                done = await work(admin).ConfigureAwait(false);
            }
            catch (PostgresException ex) when (TenantRegistry.IsFenced(ex) || TenantRegistry.IsMoving(ex))
            {
                if (fence.Expired)
                {
                    throw;
                }

                if (await MovedAsync(tenant, cancellationToken).ConfigureAwait(false) is { } moved)
                {
                    (tenant, relocated) = (moved, true);
                    continue;
                }

                if (!TenantRegistry.IsMoving(ex) || !await fence.PauseAsync(cancellationToken).ConfigureAwait(false))
                {
                    throw;
                }

                continue;
            }

            if (done || relocated)
            {
                return done;
            }

            if (await MovedAsync(tenant, cancellationToken).ConfigureAwait(false) is not { } now)
            {
                return false;
            }

            (tenant, relocated) = (now, true);
        }
    }

    // Where the same creation of the tenant lives now, when that is not where it was; null when it has not moved.
    private async Task<TenantInfo?> MovedAsync(TenantInfo tenant, CancellationToken cancellationToken)
    {
        var now = await database.Sessions.RelocateAsync(tenant, cancellationToken).ConfigureAwait(false);
        return now is null || (now.Server == tenant.Server && now.Database == tenant.Database) ? null : now;
    }
}
