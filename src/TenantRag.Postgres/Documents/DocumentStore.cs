using System.Security.Cryptography;
using System.Text;
using TenantRag.Documents;
using TenantRag.Postgres.Tenancy;

namespace TenantRag.Postgres.Documents;

/// <summary>
/// Documents of the session's tenant. Every statement runs inside the tenant session (row-level security applies)
/// and still names the tenant in its WHERE clause, for the planner; the policies are the backstop.
/// </summary>
public static class DocumentStore
{
    private const string Columns = "id, tenant_id, title, owner_id, visibility, created_at, file_name, content_type, byte_size";

    /// <summary>Adds a plain-text document as one chunk, owned by the session's user.</summary>
    public static async Task<Guid> AddTextAsync(TenantSession session, string title, string text, DocumentVisibility visibility, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
        await using var cmd = session.CreateCommand("""
            WITH d AS (
                INSERT INTO public.documents (title, content_hash, byte_size, visibility, extracted_text) VALUES ($1, $2, $3, $4, $5) RETURNING id, visibility),
            c AS (
                INSERT INTO public.chunks (document_id, ordinal, heading, content, visibility)
                SELECT id, 0, $1, $5, visibility FROM d)
            SELECT id FROM d
            """);
        cmd.Parameters.Add(new() { Value = title });
        cmd.Parameters.Add(new() { Value = hash });
        cmd.Parameters.Add(new() { Value = (long)Encoding.UTF8.GetByteCount(text) });
        cmd.Parameters.Add(new() { Value = visibility.ToName() });
        cmd.Parameters.Add(new() { Value = text });
        return (Guid)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>Every document the session's user may see, newest first (the id breaking ties).</summary>
    public static async Task<IReadOnlyList<DocumentSummary>> ListAsync(TenantSession session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        await using var cmd = session.CreateCommand($"SELECT {Columns} FROM public.documents WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC");
        cmd.Parameters.Add(new() { Value = session.TenantId });
        return await ReadAsync(cmd, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// One page of the documents the session's user may see, newest first (the id breaking ties), from the position
    /// <paramref name="query"/>'s cursor names: keyset pagination, so a walk through every page lists each document
    /// that existed when it began exactly once, whatever is added or deleted meanwhile.
    /// </summary>
    /// <exception cref="UsageException">The cursor is not one <paramref name="cursors"/> made.</exception>
    public static async Task<DocumentPage> ListPageAsync(TenantSession session, DocumentListQuery query, DocumentCursor cursors, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(cursors);
        (DateTimeOffset CreatedAt, Guid Id)? after = query.Cursor is { } cursor ? cursors.Open(cursor) : null;

        // The filter is a substring of the lower-cased title or file name (strpos, not LIKE: '%' and '_' are just
        // characters). One row more than the page tells whether there is a next one.
        await using var cmd = session.CreateCommand($"""
            SELECT {Columns} FROM public.documents
            WHERE tenant_id = $1
              AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3::uuid))
              AND ($4::text IS NULL OR strpos(lower(title), lower($4)) > 0 OR strpos(lower(coalesce(file_name, '')), lower($4)) > 0)
            ORDER BY created_at DESC, id DESC
            LIMIT $5
            """);
        cmd.Parameters.Add(new() { Value = session.TenantId });
        cmd.Parameters.Add(new() { Value = (object?)after?.CreatedAt ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        cmd.Parameters.Add(new() { Value = (object?)after?.Id ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        cmd.Parameters.Add(new() { Value = (object?)query.Filter ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        cmd.Parameters.Add(new() { Value = query.Limit + 1 });
        var rows = await ReadAsync(cmd, cancellationToken).ConfigureAwait(false);
        if (rows.Count <= query.Limit)
        {
            return new DocumentPage { Documents = rows };
        }

        var page = rows.Take(query.Limit).ToList();
        return new DocumentPage { Documents = page, Next = cursors.Seal(page[^1].CreatedAt, page[^1].Id) };
    }

    /// <summary>One document the session's user may see, or null.</summary>
    public static async Task<DocumentSummary?> GetAsync(TenantSession session, Guid id, CancellationToken cancellationToken = default) =>
        (await GetContentAsync(session, id, withText: false, cancellationToken).ConfigureAwait(false))?.Document;

    /// <summary>One document the session's user may see with its extracted text, or null.</summary>
    public static Task<DocumentContent?> GetContentAsync(TenantSession session, Guid id, CancellationToken cancellationToken = default) =>
        GetContentAsync(session, id, withText: true, cancellationToken);

    private static async Task<DocumentContent?> GetContentAsync(TenantSession session, Guid id, bool withText, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);

        // The text is read only when asked for: it may be megabytes, kept out of the row by TOAST.
        await using var cmd = session.CreateCommand($"SELECT {Columns}, CASE WHEN $3 THEN extracted_text END FROM public.documents WHERE tenant_id = $1 AND id = $2");
        cmd.Parameters.Add(new() { Value = session.TenantId });
        cmd.Parameters.Add(new() { Value = id });
        cmd.Parameters.Add(new() { Value = withText });
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? new DocumentContent { Document = Read(reader), Text = reader.IsDBNull(9) ? null : reader.GetString(9) }
            : null;
    }

    private static async Task<List<DocumentSummary>> ReadAsync(Npgsql.NpgsqlCommand cmd, CancellationToken cancellationToken)
    {
        var list = new List<DocumentSummary>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(Read(reader));
        }

        return list;
    }

    private static DocumentSummary Read(Npgsql.NpgsqlDataReader reader) => new()
    {
        Id = reader.GetGuid(0),
        TenantId = reader.GetString(1),
        Title = reader.GetString(2),
        OwnerId = reader.GetString(3),
        Visibility = DocumentVisibilities.Parse(reader.GetString(4)),
        CreatedAt = reader.GetFieldValue<DateTimeOffset>(5),
        FileName = reader.IsDBNull(6) ? null : reader.GetString(6),
        MediaType = reader.GetString(7),
        ByteSize = reader.GetInt64(8),
    };
}
