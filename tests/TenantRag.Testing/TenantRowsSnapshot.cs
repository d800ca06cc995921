using Npgsql;
using TenantRag.Postgres.Installation;

namespace TenantRag.Testing;

/// <summary>
/// Every tenant's rows in one installation, row by row (an md5 of each whole row), read as the superuser past
/// row-level security: the catalog entry, documents, chunks, data versions and metered usage of every tenant in
/// every database. Take one before and one after an action; <see cref="ChangesSince"/> lists exactly what changed,
/// so a test can assert that nothing but the intended change happened to any tenant.
/// </summary>
public sealed class TenantRowsSnapshot
{
    /// <summary>The tenant-data tables and how a changed row is labelled in a report.</summary>
    private static readonly (string Table, string Label)[] Tables =
    [
        ("documents", "id::text || ' ' || left(title, 40)"),
        ("chunks", "document_id::text || '#' || ordinal"),
        ("tenant_data_versions", "'version ' || version"),
        ("usage_events", "'usage ' || day || ' queries ' || queries"),
        ("usage_daily", "'usage day ' || day"),
    ];

    private readonly HashSet<RowChange> _rows;

    private TenantRowsSnapshot(HashSet<RowChange> rows) => _rows = rows;

    /// <summary>How many rows the snapshot holds (catalog entries included).</summary>
    public int Count => _rows.Count;

    /// <summary>
    /// Reads the installation named <paramref name="prefix"/>: the catalog's tenants, then each tenant database's
    /// rows. Connections are pooled (application name 'tenantrag-tests', never counted as TenantRag's), so taking
    /// snapshots around each of hundreds of requests stays cheap.
    /// </summary>
    public static async Task<TenantRowsSnapshot> TakeAsync(PostgresServer server, string prefix)
    {
        ArgumentNullException.ThrowIfNull(server);
        var names = new InstallationNames(prefix);
        var rows = new HashSet<RowChange>();
        var databases = new SortedSet<string>(StringComparer.Ordinal) { names.Shared };
        var slugsById = new Dictionary<string, string>(StringComparer.Ordinal);
        await using (var catalog = await OpenAsync(server, names.Catalog).ConfigureAwait(false))
        await using (var cmd = new NpgsqlCommand(
            "SELECT slug, mode || ' ' || database_name || ' ' || status || ' ' || created_at, md5(slug || id || mode || database_name || status || quotas::text || created_at), database_name, id FROM tenantrag.tenants",
            catalog))
        await using (var reader = await cmd.ExecuteReaderAsync(Ct).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(Ct).ConfigureAwait(false))
            {
                rows.Add(new RowChange(reader.GetString(0), "catalog", reader.GetString(1) + " " + reader.GetString(2)));
                databases.Add(reader.GetString(3));
                slugsById[reader.GetString(4)] = reader.GetString(0);
            }
        }

        // Rows carry their tenant's id; they are labelled with its slug (a row of no live tenant keeps its raw id).
        foreach (var databaseRows in await Task.WhenAll(databases.Select(d => ReadTenantRowsAsync(server, d, slugsById))).ConfigureAwait(false))
        {
            rows.UnionWith(databaseRows);
        }

        return new TenantRowsSnapshot(rows);
    }

    /// <summary>Rows added since <paramref name="before"/> (<see cref="RowChange.Added"/>) and rows gone or changed (removed).</summary>
    public IReadOnlyList<RowChange> ChangesSince(TenantRowsSnapshot before)
    {
        ArgumentNullException.ThrowIfNull(before);
        return
        [
            .. _rows.Except(before._rows).Select(r => r with { Added = true }),
            .. before._rows.Except(_rows).Select(r => r with { Added = false }),
        ];
    }

    private static CancellationToken Ct => Xunit.TestContext.Current.CancellationToken;

    private static async Task<List<RowChange>> ReadTenantRowsAsync(PostgresServer server, string database, Dictionary<string, string> slugsById)
    {
        var union = string.Join(" UNION ALL ", Tables.Select(t => $"SELECT tenant_id, '{t.Table}', {t.Label} || ' ' || md5(x::text) FROM public.{t.Table} x"));
        var rows = new List<RowChange>();
        await using var connection = await OpenAsync(server, database).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand(union, connection);
        await using var reader = await cmd.ExecuteReaderAsync(Ct).ConfigureAwait(false);
        while (await reader.ReadAsync(Ct).ConfigureAwait(false))
        {
            var tenant = reader.GetString(0);
            rows.Add(new RowChange(slugsById.GetValueOrDefault(tenant, tenant), reader.GetString(1), reader.GetString(2)));
        }

        return rows;
    }

    private static async Task<NpgsqlConnection> OpenAsync(PostgresServer server, string database)
    {
        var builder = new NpgsqlConnectionStringBuilder(server.SuperuserConnectionString(database)) { Pooling = true, MaxPoolSize = 2 };
        var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(Ct).ConfigureAwait(false);
        return connection;
    }
}
