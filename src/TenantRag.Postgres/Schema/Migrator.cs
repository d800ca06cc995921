using Npgsql;

namespace TenantRag.Postgres.Schema;

/// <summary>
/// Applies embedded migrations to one database under a session advisory lock (so two processes starting at once
/// take turns), one transaction per migration, recording each in <c>tenantrag.migrations</c>. Re-running is a no-op.
/// </summary>
internal static class Migrator
{
    // Advisory locks are per database, so one key serves every database.
    private const long LockKey = 0x7465_6e61_6e74_7261; // "tenantra"

    /// <summary>Brings <paramref name="connectionString"/>'s database to the newest version; returns that version.</summary>
    public static async Task<int> MigrateAsync(string connectionString, IReadOnlyList<Migration> migrations,
        IReadOnlyDictionary<string, string> placeholders, CancellationToken cancellationToken) =>
        (await MigrateFromAsync(connectionString, migrations, placeholders, cancellationToken).ConfigureAwait(false)).After;

    /// <summary>
    /// Brings <paramref name="connectionString"/>'s database to the newest version; returns the version it was at (the
    /// highest applied, 0 for a database never migrated) and the one it is at now.
    /// </summary>
    public static async Task<(int Before, int After)> MigrateFromAsync(string connectionString, IReadOnlyList<Migration> migrations,
        IReadOnlyDictionary<string, string> placeholders, CancellationToken cancellationToken)
    {
        // Not pooled: the template database must have no lingering connection when it is copied.
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false };
        await using var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, null, $"SELECT pg_advisory_lock({LockKey})", cancellationToken).ConfigureAwait(false);
        try
        {
            await ExecuteAsync(connection, null, """
                CREATE SCHEMA IF NOT EXISTS tenantrag;
                CREATE TABLE IF NOT EXISTS tenantrag.migrations (
                    version     integer PRIMARY KEY,
                    name        text NOT NULL,
                    checksum    text NOT NULL,
                    applied_at  timestamptz NOT NULL DEFAULT now());
                REVOKE ALL ON SCHEMA tenantrag FROM PUBLIC;
                """, cancellationToken).ConfigureAwait(false);

            var applied = new Dictionary<int, string>();
            await using (var cmd = new NpgsqlCommand("SELECT version, checksum FROM tenantrag.migrations", connection))
            await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    applied[reader.GetInt32(0)] = reader.GetString(1);
                }
            }

            foreach (var migration in migrations)
            {
                var sql = Substitute(migration.Sql, placeholders);
                var checksum = new Migration(migration.Version, migration.Name, sql).Checksum;
                if (applied.TryGetValue(migration.Version, out var recorded))
                {
                    if (recorded != checksum)
                    {
                        throw new TenantRagException(
                            $"migration {migration.Name} in database {connection.Database} was changed after it was applied: never edit an applied migration; add a new one");
                    }

                    continue;
                }

                await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                await ExecuteAsync(connection, tx, sql, cancellationToken).ConfigureAwait(false);
                await using (var record = new NpgsqlCommand("INSERT INTO tenantrag.migrations (version, name, checksum) VALUES ($1, $2, $3)", connection, tx))
                {
                    record.Parameters.Add(new() { Value = migration.Version });
                    record.Parameters.Add(new() { Value = migration.Name });
                    record.Parameters.Add(new() { Value = checksum });
                    await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            }

            return (applied.Keys.DefaultIfEmpty(0).Max(), migrations.Count);
        }
        finally
        {
            await ExecuteAsync(connection, null, $"SELECT pg_advisory_unlock({LockKey})", CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static string Substitute(string sql, IReadOnlyDictionary<string, string> placeholders)
    {
        foreach (var (key, value) in placeholders)
        {
            sql = sql.Replace("${" + key + "}", value, StringComparison.Ordinal);
        }

        return sql;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, string sql, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand(sql, connection, tx);
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
