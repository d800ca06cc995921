using Npgsql;
using TenantRag.Documents;
using TenantRag.Jobs;

namespace TenantRag.Postgres.Jobs;

/// <summary>Maps <c>ingest_jobs</c> rows to <see cref="IngestJobInfo"/>.</summary>
internal static class IngestJobReader
{
    public const string Columns = """
        id, owner_id, visibility, status, stage, file_name, title, media_type, byte_size, chunks_done, chunks_total,
        document_ids, error_reason, error_message, result::text, attempt, created_at, updated_at, finished_at, started_at
        """;

    public static IngestJobInfo Read(NpgsqlDataReader reader) => new()
    {
        Id = reader.GetGuid(0),
        OwnerId = reader.GetString(1),
        Visibility = DocumentVisibilities.Parse(reader.GetString(2)),
        Status = IngestJobStatuses.Parse(reader.GetString(3)),
        Stage = reader.GetString(4),
        FileName = reader.GetString(5),
        Title = reader.IsDBNull(6) ? null : reader.GetString(6),
        MediaType = reader.GetString(7),
        ByteSize = reader.GetInt64(8),
        ChunksDone = reader.GetInt32(9),
        ChunksTotal = reader.GetInt32(10),
        DocumentIds = reader.GetFieldValue<Guid[]>(11),
        ErrorReason = reader.IsDBNull(12) ? null : reader.GetString(12),
        ErrorMessage = reader.IsDBNull(13) ? null : reader.GetString(13),
        ResultJson = reader.IsDBNull(14) ? null : reader.GetString(14),
        Attempt = reader.GetInt32(15),
        CreatedAt = reader.GetFieldValue<DateTimeOffset>(16),
        UpdatedAt = reader.GetFieldValue<DateTimeOffset>(17),
        FinishedAt = reader.IsDBNull(18) ? null : reader.GetFieldValue<DateTimeOffset>(18),
        StartedAt = reader.IsDBNull(19) ? null : reader.GetFieldValue<DateTimeOffset>(19),
    };

    public static async Task<List<IngestJobInfo>> ReadAllAsync(NpgsqlCommand cmd, CancellationToken cancellationToken)
    {
        var jobs = new List<IngestJobInfo>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            jobs.Add(Read(reader));
        }

        return jobs;
    }
}
