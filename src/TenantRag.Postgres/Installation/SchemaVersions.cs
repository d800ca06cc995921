using Npgsql;

namespace TenantRag.Postgres.Installation;

/// <summary>
/// The catalog's record of each database's schema version (<c>tenantrag.schema_versions</c>), kept per server and
/// database (Catalog/007): every server has a template and a shared database of the same names, and a dedicated database
/// keeps its name when its tenant moves to another server. A row is written after its database was migrated, so a row
/// at the newest version lets <c>tenantrag migrate</c> pass the database by without connecting to it.
/// </summary>
internal static class SchemaVersions
{
    /// <summary>Records that <paramref name="database"/> on <paramref name="server"/> is at <paramref name="version"/>.</summary>
    /// <param name="catalog">The primary's catalog as the admin role.</param>
    /// <param name="server">The server's catalog id (<c>primary</c>, or a name of <c>tenantrag.servers</c>).</param>
    /// <param name="database">The database.</param>
    /// <param name="kind"><c>catalog</c>, <c>template</c>, <c>shared</c> or <c>dedicated</c>.</param>
    /// <param name="version">The version it is at.</param>
    /// <param name="cancellationToken">Cancels the statement.</param>
    public static async Task RecordAsync(NpgsqlDataSource catalog, string server, string database, string kind, int version, CancellationToken cancellationToken)
    {
        await using var cmd = catalog.CreateCommand("""
            INSERT INTO tenantrag.schema_versions (server_id, database_name, kind, version) VALUES ($1, $2, $3, $4)
            ON CONFLICT (server_id, database_name) DO UPDATE SET kind = excluded.kind, version = excluded.version, updated_at = now()
            """);
        cmd.Parameters.Add(new() { Value = server });
        cmd.Parameters.Add(new() { Value = database });
        cmd.Parameters.Add(new() { Value = kind });
        cmd.Parameters.Add(new() { Value = version });
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Every recorded version, by server and database.</summary>
    public static async Task<Dictionary<(string Server, string Database), int>> ReadAsync(NpgsqlDataSource catalog, CancellationToken cancellationToken)
    {
        await using var cmd = catalog.CreateCommand("SELECT server_id, database_name, version FROM tenantrag.schema_versions");
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var versions = new Dictionary<(string, string), int>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            versions[(reader.GetString(0), reader.GetString(1))] = reader.GetInt32(2);
        }

        return versions;
    }
}
