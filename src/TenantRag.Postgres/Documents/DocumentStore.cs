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
    /// <summary>Adds a plain-text document as one chunk, owned by the session's user.</summary>
    public static async Task<Guid> AddTextAsync(TenantSession session, string title, string text, DocumentVisibility visibility, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
        await using var cmd = session.CreateCommand("""
            WITH d AS (
                INSERT INTO public.documents (title, content_hash, byte_size, visibility) VALUES ($1, $2, $3, $4) RETURNING id, visibility),
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

    /// <summary>The documents the session's user may see, newest first.</summary>
    public static Task<IReadOnlyList<DocumentSummary>> ListAsync(TenantSession session, CancellationToken cancellationToken = default) =>
        QueryAsync(session, null, cancellationToken);

    /// <summary>One document the session's user may see, or null.</summary>
    public static async Task<DocumentSummary?> GetAsync(TenantSession session, Guid id, CancellationToken cancellationToken = default) =>
        (await QueryAsync(session, id, cancellationToken).ConfigureAwait(false)).SingleOrDefault();

    private static async Task<IReadOnlyList<DocumentSummary>> QueryAsync(TenantSession session, Guid? id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        await using var cmd = session.CreateCommand("""
            SELECT id, tenant_id, title, owner_id, visibility, created_at FROM public.documents
            WHERE tenant_id = $1 AND ($2::uuid IS NULL OR id = $2) ORDER BY created_at DESC, title
            """);
        cmd.Parameters.Add(new() { Value = session.TenantId });
        cmd.Parameters.Add(new() { Value = (object?)id ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        var list = new List<DocumentSummary>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new DocumentSummary
            {
                Id = reader.GetGuid(0),
                TenantId = reader.GetString(1),
                Title = reader.GetString(2),
                OwnerId = reader.GetString(3),
                Visibility = DocumentVisibilities.Parse(reader.GetString(4)),
                CreatedAt = reader.GetFieldValue<DateTimeOffset>(5),
            });
        }

        return list;
    }
}
