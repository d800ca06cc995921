using System.Collections.Concurrent;
using Npgsql;
using TenantRag.Postgres.Installation;
using TenantRag.Postgres.Tenancy;

namespace TenantRag.Postgres.Fleet;

/// <summary>
/// <c>tenantrag migrate</c>: brings the tenant-data schema of every database of the fleet to the newest version, a few
/// databases at a time: the template and the shared database of every server that is not removed, and the database of
/// every active dedicated tenant, on whichever server it lives. A database the primary's catalog records at the newest
/// version is passed by without a connection, so running it again after a run that stopped (killed, or a database that
/// failed) continues where that run stopped. A database that fails is reported and the others go on; a server that
/// does not answer fails its remaining databases at once instead of waiting for each. Migrates as the admin role, which
/// has the same password on every server, and records each version in the primary's catalog.
/// </summary>
public sealed class FleetMigrator(TenantRagDatabase database)
{
    /// <summary>How many databases are migrated at once unless told otherwise (<c>--parallel</c>).</summary>
    public const int DefaultParallelism = 4;

    /// <summary>The most databases migrated at once: each is one connection to its server.</summary>
    public const int MaxParallelism = 32;

    private Installation.Installation Primary => database.Installation;

    /// <summary>Returns <paramref name="parallelism"/> when it is from 1 to <see cref="MaxParallelism"/>.</summary>
    /// <exception cref="UsageException">It is not.</exception>
    public static int CheckParallelism(int parallelism) => parallelism is >= 1 and <= MaxParallelism
        ? parallelism
        : throw new UsageException($"--parallel must be from 1 to {MaxParallelism} databases at a time, not {parallelism}");

    /// <summary>
    /// Migrates every database of the fleet, <paramref name="parallelism"/> at a time; returns one entry per database,
    /// each server's template and shared database first (the primary's first), then the dedicated ones by server.
    /// </summary>
    /// <param name="parallelism">How many databases at once (1 to <see cref="MaxParallelism"/>).</param>
    /// <param name="done">Told of each database as it is done (from several threads at once); null for nobody.</param>
    /// <param name="cancellationToken">Stops the run: the migration under way in each database is rolled back, the finished ones stay recorded.</param>
    /// <exception cref="UsageException"><paramref name="parallelism"/> is out of range.</exception>
    public async Task<IReadOnlyList<DatabaseMigration>> MigrateAsync(int parallelism, Action<DatabaseMigration>? done = null, CancellationToken cancellationToken = default)
    {
        CheckParallelism(parallelism);
        var members = (await ServerFleet.ReadAsync(database, null, cancellationToken).ConfigureAwait(false)).Where(s => s.Status != "removed").ToList();
        var servers = members.ToDictionary(s => s.Name, s => ServerFleet.On(Primary, s), StringComparer.Ordinal);
        var work = new List<Work>();
        foreach (var server in members)
        {
            work.Add(new Work(server.Name, servers[server.Name], Primary.Names.Template, "template"));
            work.Add(new Work(server.Name, servers[server.Name], Primary.Names.Shared, "shared"));
        }

        Dictionary<(string Server, string Database), int> versions;
        using (var catalog = database.Registry.Admin(Primary, Primary.Names.Catalog))
        {
            await using (var cmd = catalog.DataSource.CreateCommand("""
                SELECT server_id, database_name FROM tenantrag.tenants WHERE mode = 'dedicated' AND status = 'active'
                ORDER BY server_id <> 'primary', server_id, database_name
                """))
            await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var server = reader.GetString(0);
                    work.Add(new Work(server, servers.GetValueOrDefault(server), reader.GetString(1), "dedicated"));
                }
            }

            versions = await SchemaVersions.ReadAsync(catalog.DataSource, cancellationToken).ConfigureAwait(false);
        }

        var results = new DatabaseMigration[work.Count];
        var unreachable = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        await Parallel.ForEachAsync(Enumerable.Range(0, work.Count), new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                results[i] = await MigrateAsync(work[i], versions.TryGetValue((work[i].Server, work[i].Database), out var recorded) ? recorded : null, unreachable, ct).ConfigureAwait(false);
                done?.Invoke(results[i]);
            }).ConfigureAwait(false);
        return results;
    }

    private async Task<DatabaseMigration> MigrateAsync(Work work, int? recorded, ConcurrentDictionary<string, string> unreachable, CancellationToken cancellationToken)
    {
        var entry = new DatabaseMigration { Server = work.Server, Database = work.Database, Kind = work.Kind, VersionBefore = recorded, Status = DatabaseMigration.Failed };
        if (recorded >= Installer.TenantVersion)
        {
            return entry with { VersionAfter = recorded, Status = DatabaseMigration.Current };
        }

        if (work.On is null)
        {
            return entry with { Error = $"its tenant is mapped to server '{work.Server}', which is not in the fleet ('tenantrag server list' shows the servers)" };
        }

        if (unreachable.TryGetValue(work.Server, out var why))
        {
            return entry with { Error = $"not tried: {why}" };
        }

        try
        {
            var (before, after) = await new Installer(work.On).MigrateTenantDataAsync(work.Database, cancellationToken).ConfigureAwait(false);
            using (var catalog = database.Registry.Admin(Primary, Primary.Names.Catalog))
            {
                await SchemaVersions.RecordAsync(catalog.DataSource, work.Server, work.Database, work.Kind, after, cancellationToken).ConfigureAwait(false);
            }

            return entry with { VersionBefore = before, VersionAfter = after, Status = before == after ? DatabaseMigration.Current : DatabaseMigration.Migrated };
        }
        catch (PostgresException ex)
        {
            return entry with { Error = $"PostgreSQL said: {ex.MessageText} (SQLSTATE {ex.SqlState})" };
        }
        catch (NpgsqlException ex) when (!cancellationToken.IsCancellationRequested)
        {
            // The server did not answer (the message names the host, never a password): its other databases are not tried.
            var error = $"server '{work.Server}' did not answer: {ex.Message}";
            unreachable.TryAdd(work.Server, error);
            return entry with { Error = error };
        }
        catch (TenantRagException ex)
        {
            // An applied migration was edited.
            return entry with { Error = ex.Message };
        }
    }

    private sealed record Work(string Server, Installation.Installation? On, string Database, string Kind);
}
