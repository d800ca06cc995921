using System.Buffers;
using System.Globalization;
using System.Text;
using TenantRag.Documents;
using TenantRag.Jobs;
using TenantRag.Postgres.Tenancy;
using TenantRag.Tenancy;

namespace TenantRag.Postgres.Jobs;

/// <summary>
/// Upload jobs as the API's callers see them, through their tenant sessions (row-level security): an upload is
/// stored with its job row in one transaction, and jobs are read like documents.
/// </summary>
public sealed class IngestJobStore(TenantConnectionFactory sessions)
{
    /// <summary>The most bytes one stored part of an upload holds.</summary>
    public const int PartSize = 1024 * 1024;

    /// <summary>The most jobs one page of <see cref="ListAsync"/> returns.</summary>
    public const int MaxPageSize = 200;

    /// <summary>
    /// Stores <paramref name="content"/> (exactly <see cref="NewIngestJob.ByteSize"/> bytes) as a queued job of the
    /// caller, in one transaction: either the job and every byte of the upload are stored, or nothing is. The tenant is
    /// flagged for the workers before the commit and again after it.
    /// </summary>
    /// <exception cref="TenantNotFoundException">The tenant is gone (deleted, also by another process).</exception>
    /// <exception cref="ArgumentException">The stream holds fewer or more bytes than announced.</exception>
    public async Task<IngestJobInfo> CreateAsync(TenantContext context, NewIngestJob job, Stream content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(content);
        ArgumentOutOfRangeException.ThrowIfNegative(job.ByteSize);
        var parts = (int)((job.ByteSize + PartSize - 1) / PartSize);
        var (created, tenantId) = await sessions.WriteAsync(context, async (session, token) =>
        {
            IngestJobInfo info;
            await using (var insert = session.CreateCommand($"""
                INSERT INTO public.ingest_jobs (visibility, file_name, source, title, media_type, byte_size, parts)
                VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {IngestJobReader.Columns}
                """))
            {
                insert.Parameters.Add(new() { Value = job.Visibility.ToName() });
                insert.Parameters.Add(new() { Value = job.FileName });
                insert.Parameters.Add(new() { Value = job.Source });
                insert.Parameters.Add(new() { Value = (object?)job.Title ?? DBNull.Value, DataTypeName = "text" });
                insert.Parameters.Add(new() { Value = job.MediaType });
                insert.Parameters.Add(new() { Value = job.ByteSize });
                insert.Parameters.Add(new() { Value = parts });
                info = (await IngestJobReader.ReadAllAsync(insert, token).ConfigureAwait(false)).Single();
            }

            await WritePartsAsync(session, info.Id, content, job.ByteSize, token).ConfigureAwait(false);

            // Flagged before the commit, so that no committed job is ever without a flag (a worker clears a flag only
            // once it is older than a grace period and its tenant has no unfinished job).
            await sessions.RequestIngestionAsync(session.TenantId, token).ConfigureAwait(false);
            return (info, session.TenantId);
        }, cancellationToken).ConfigureAwait(false);

        // And again after it: a worker that looked between the first flag and the commit may have found nothing.
        await sessions.RequestIngestionAsync(tenantId, CancellationToken.None).ConfigureAwait(false);
        return created;
    }

    /// <summary>The job, if the caller may see it (its own, or a tenant-wide one of a colleague); null otherwise.</summary>
    public async Task<IngestJobInfo?> GetAsync(TenantContext context, Guid id, CancellationToken cancellationToken = default)
    {
        await using var session = await sessions.OpenSessionAsync(context, cancellationToken).ConfigureAwait(false);
        await using var cmd = session.CreateCommand($"SELECT {IngestJobReader.Columns} FROM public.ingest_jobs WHERE tenant_id = $1 AND id = $2");
        cmd.Parameters.Add(new() { Value = session.TenantId });
        cmd.Parameters.Add(new() { Value = id });
        return (await IngestJobReader.ReadAllAsync(cmd, cancellationToken).ConfigureAwait(false)).SingleOrDefault();
    }

    /// <summary>
    /// The caller's own jobs, newest first, <paramref name="limit"/> at a time after <paramref name="cursor"/> (from the
    /// previous page), and the cursor of the next page (null after the last).
    /// </summary>
    /// <exception cref="UsageException">The limit is out of range or the cursor is not one this returned.</exception>
    public async Task<(IReadOnlyList<IngestJobInfo> Jobs, string? Next)> ListAsync(TenantContext context, int limit, string? cursor, CancellationToken cancellationToken = default)
    {
        if (limit is < 1 or > MaxPageSize)
        {
            throw new UsageException($"limit {limit} is out of range: give 1 to {MaxPageSize}");
        }

        var after = cursor is null ? ((DateTimeOffset, Guid)?)null : ParseCursor(cursor);
        await using var session = await sessions.OpenSessionAsync(context, cancellationToken).ConfigureAwait(false);
        await using var cmd = session.CreateCommand($"""
            SELECT {IngestJobReader.Columns} FROM public.ingest_jobs
            WHERE tenant_id = $1 AND owner_id = (SELECT auth.user_id()) AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3))
            ORDER BY created_at DESC, id DESC LIMIT $4
            """);
        cmd.Parameters.Add(new() { Value = session.TenantId });
        cmd.Parameters.Add(new() { Value = after is { } a ? a.Item1 : DBNull.Value, DataTypeName = "timestamptz" });
        cmd.Parameters.Add(new() { Value = after is { } b ? b.Item2 : Guid.Empty });
        cmd.Parameters.Add(new() { Value = limit + 1 });
        var jobs = await IngestJobReader.ReadAllAsync(cmd, cancellationToken).ConfigureAwait(false);
        if (jobs.Count <= limit)
        {
            return (jobs, null);
        }

        var last = jobs[limit - 1];
        return (jobs[..limit], FormatCursor(last.CreatedAt, last.Id));
    }

    // A position in the caller's own list: no more than the position, so a hand-made one can show nothing more.
    private static string FormatCursor(DateTimeOffset createdAt, Guid id)
    {
        var micros = (createdAt.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;
        return Convert.ToBase64String(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{micros}_{id:N}")))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    private static (DateTimeOffset, Guid) ParseCursor(string cursor)
    {
        var invalid = new UsageException("cursor is not one a job listing returned: leave it out for the first page, then pass 'next'");
        if (cursor.Length is 0 or > 100 || !cursor.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            throw invalid;
        }

        var padded = cursor.Replace('-', '+').Replace('_', '/') + new string('=', (4 - (cursor.Length % 4)) % 4);
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(padded);
        }
        catch (FormatException)
        {
            throw invalid;
        }

        var parts = Encoding.ASCII.GetString(bytes).Split('_');
        if (parts.Length != 2 || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var micros)
            || micros > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds() * 1000 || !Guid.TryParseExact(parts[1], "N", out var id))
        {
            throw invalid;
        }

        return (DateTimeOffset.UnixEpoch.AddTicks(micros * 10), id);
    }

    private static async Task WritePartsAsync(TenantSession session, Guid job, Stream content, long byteSize, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(PartSize);
        try
        {
            var remaining = byteSize;
            for (var part = 0; remaining > 0; part++)
            {
                var size = (int)Math.Min(PartSize, remaining);
                await content.ReadExactlyAsync(buffer.AsMemory(0, size), cancellationToken).ConfigureAwait(false);
                await using var cmd = session.CreateCommand("INSERT INTO public.ingest_job_parts (job_id, part, content) VALUES ($1, $2, $3)");
                cmd.Parameters.Add(new() { Value = job });
                cmd.Parameters.Add(new() { Value = part });
                cmd.Parameters.Add(new() { Value = new ArraySegment<byte>(buffer, 0, size) });
                await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                remaining -= size;
            }

            if (await content.ReadAsync(buffer.AsMemory(0, 1), cancellationToken).ConfigureAwait(false) != 0)
            {
                throw new ArgumentException($"the upload holds more than the {byteSize:N0} bytes announced", nameof(content));
            }
        }
        catch (EndOfStreamException ex)
        {
            throw new ArgumentException($"the upload holds fewer than the {byteSize:N0} bytes announced", nameof(content), ex);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
