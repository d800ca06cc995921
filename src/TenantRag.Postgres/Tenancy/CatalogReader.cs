using Npgsql;
using TenantRag.Postgres.Quotas;
using TenantRag.Tenancy;

namespace TenantRag.Postgres.Tenancy;

/// <summary>Maps catalog rows to <see cref="TenantInfo"/>.</summary>
internal static class CatalogReader
{
    public const string Columns = "slug, mode, database_name, server_id, status, created_at, last_active_at, id, quotas::text";

    /// <summary>How many columns <see cref="Columns"/> names: a query may read more after them, from this ordinal on.</summary>
    public const int Count = 9;

    public static TenantInfo Read(NpgsqlDataReader reader) => new()
    {
        Slug = TenantSlug.Parse(reader.GetString(0)),
        Mode = TenancyModes.Parse(reader.GetString(1)),
        Database = reader.GetString(2),
        Server = reader.GetString(3),
        Status = reader.GetString(4),
        CreatedAt = reader.GetFieldValue<DateTimeOffset>(5),
        LastActiveAt = reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6),
        Id = reader.GetString(7),
        Quotas = QuotaJson.Read(reader.GetString(8)),
    };

    public static async Task<List<TenantInfo>> ReadAllAsync(NpgsqlCommand cmd, CancellationToken cancellationToken)
    {
        var list = new List<TenantInfo>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(Read(reader));
        }

        return list;
    }
}
