using System.Collections.Concurrent;
using Npgsql;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Postgres.Tests;

/// <summary>
/// Many workers alternate two tenants over a pool of two physical connections, with the tenant WHERE clause left
/// out of every query: each transaction must see its own rows and nothing of the other tenant's, in both models.
/// </summary>
[Trait("Category", "Isolation")]
public sealed class ConcurrencyTests(PostgresServer server, ITestOutputHelper output)
{
    private const int Workers = 8;
    private const int PoolSize = 2;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SharedPool_AlternatingTenantsWithoutWhere_NeverSeeForeignRows()
    {
        await using var database = await server.OpenInstallationAsync("t_conc_s", o => o.SharedMaxPoolSize = PoolSize);
        var tenants = new[] { Slugs.Unique("a"), Slugs.Unique("b") };
        var ids = new List<string>();
        foreach (var tenant in tenants)
        {
            ids.Add((await database.Catalog.CreateAsync(tenant, TenancyMode.Shared, Ct)).Id);
            await TenantRows.InsertDocumentsAsync(database, tenant, [.. Enumerable.Range(1, 5).Select(n => $"canary-{tenant}-{n}")]);
        }

        var result = await HammerAsync(database, tenants, transactionsPerWorker: 500);

        output.WriteLine(result.ToString());
        Assert.Equal(Workers * 500, result.Transactions);
        Assert.Equal(0, result.ForeignRows);
        Assert.Equal(0, result.TransactionsWithoutOwnCanaries);
        Assert.Equal(Workers * 500 * 5, result.OwnRows);
        Assert.InRange(result.BackendsPerDatabase[database.Installation.Names.Shared], 1, PoolSize);
        Assert.InRange(await server.CountTenantRagConnectionsAsync(database.Installation.Names.Shared, database.Installation.Names.AppRole), 1, PoolSize);
        Assert.Equal(2 * 5L, await server.ScalarAsync<long>(database.Installation.Names.Shared, "SELECT count(*) FROM documents WHERE tenant_id IN ($1, $2)", ids[0], ids[1]));
    }

    [Fact]
    public async Task DedicatedPools_AlternatingTenantsWithPlantedForeignRow_NeverSeeIt()
    {
        await using var database = await server.OpenInstallationAsync("t_conc_d", o => o.DedicatedMaxPoolSize = PoolSize);
        var tenants = new[] { Slugs.Unique("a"), Slugs.Unique("b") };
        var infos = new List<TenantInfo>();
        foreach (var tenant in tenants)
        {
            infos.Add(await database.Catalog.CreateAsync(tenant, TenancyMode.Dedicated, Ct));
            await TenantRows.InsertDocumentsAsync(database, tenant, [.. Enumerable.Range(1, 5).Select(n => $"canary-{tenant}-{n}")]);
        }

        // A misrouted write: rows claiming tenant B inside tenant A's database (B registered there too, or the registry's
        // foreign keys would refuse them), planted past RLS as the superuser.
        var databaseA = database.Installation.Names.DedicatedDatabase(tenants[0]);
        await TenantRows.PlantAsync(server, databaseA, infos[1], $"canary-{tenants[1]}-planted", $"canary-{tenants[1]}-planted-2");

        var result = await HammerAsync(database, tenants, transactionsPerWorker: 100);

        output.WriteLine(result.ToString());
        Assert.Equal(Workers * 100, result.Transactions);
        Assert.Equal(0, result.ForeignRows);
        Assert.Equal(0, result.TransactionsWithoutOwnCanaries);
        Assert.Equal(0, result.WrongDatabase);
        Assert.Equal(Workers * 100 * 5, result.OwnRows);
        foreach (var tenant in tenants)
        {
            var tenantDatabase = database.Installation.Names.DedicatedDatabase(tenant);
            Assert.InRange(result.BackendsPerDatabase[tenantDatabase], 1, PoolSize);
            Assert.InRange(await server.CountTenantRagConnectionsAsync(tenantDatabase), 1, PoolSize);
        }

        Assert.Equal(2L, await server.ScalarAsync<long>(databaseA, "SELECT count(*) FROM documents WHERE tenant_id = $1", infos[1].Id));
    }

    [Theory]
    [InlineData(TenancyMode.Shared)]
    [InlineData(TenancyMode.Dedicated)]
    public async Task Session_LeakyQueries_SeeOnlyOwnTenant(TenancyMode mode)
    {
        await using var database = await server.OpenInstallationAsync(mode == TenancyMode.Shared ? "t_conc_s" : "t_conc_d");
        var mine = Slugs.Unique("mine");
        var theirs = Slugs.Unique("theirs");
        var mineInfo = await database.Catalog.CreateAsync(mine, mode, Ct);
        var theirsInfo = await database.Catalog.CreateAsync(theirs, mode, Ct);
        await TenantRows.InsertDocumentsAsync(database, mine, "m1", "m2");
        var foreign = await TenantRows.InsertDocumentsAsync(database, theirs, "t1");
        await TenantRows.InsertChunksAsync(database, theirs, foreign[0], 2);
        if (mode == TenancyMode.Dedicated)
        {
            await TenantRows.PlantAsync(server, mineInfo.Database, theirsInfo, "planted");
        }

        await using var session = await database.Sessions.OpenSessionAsync(TenantContext.For(mine, UserId.Parse(TenantRows.DefaultUser)), Ct);

        var tautology = await ScalarAsync<long>(session, "SELECT count(*) FROM documents WHERE tenant_id = tenant_id");
        var byForeignId = await ScalarAsync<long>(session, "SELECT count(*) FROM documents WHERE tenant_id = $1", theirsInfo.Id);
        var orTrue = await ScalarAsync<long>(session, "SELECT count(*) FROM documents WHERE tenant_id = $1 OR true", theirsInfo.Id);
        var chunks = await ScalarAsync<long>(session, "SELECT count(*) FROM chunks");
        var updated = await ScalarAsync<long>(session, "WITH u AS (UPDATE documents SET title = 'pwned' WHERE tenant_id <> $1 RETURNING 1) SELECT count(*) FROM u", mineInfo.Id);
        var deleted = await ScalarAsync<long>(session, "WITH d AS (DELETE FROM documents WHERE tenant_id <> $1 RETURNING 1) SELECT count(*) FROM d", mineInfo.Id);
        var insert = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync<long>(session,
            "WITH i AS (INSERT INTO documents (tenant_id, title, content_hash) VALUES ($1, 'forged', 'x') RETURNING 1) SELECT count(*) FROM i", theirsInfo.Id));

        Assert.Equal(2L, tautology);
        Assert.Equal(0L, byForeignId);
        Assert.Equal(2L, orTrue);
        Assert.Equal(0L, chunks);
        Assert.Equal(0L, updated);
        Assert.Equal(0L, deleted);
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, insert.SqlState);
        Assert.Contains("row-level security", insert.MessageText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AppRole_TransactionWithoutContext_SeesZeroRows()
    {
        await using var database = await server.OpenInstallationAsync("t_conc_s");
        var tenant = Slugs.Unique("ctx");
        await database.Catalog.CreateAsync(tenant, TenancyMode.Shared, Ct);
        await TenantRows.InsertDocumentsAsync(database, tenant, "visible only with context");
        var builder = new NpgsqlConnectionStringBuilder(database.Installation.AppConnectionString(database.Installation.Names.Shared, 1)) { Pooling = false };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(Ct);

        await using var tx = await connection.BeginTransactionAsync(Ct);
        await using (var role = new NpgsqlCommand("SET LOCAL ROLE authenticated", connection, tx))
        {
            await role.ExecuteNonQueryAsync(Ct);
        }

        await using var count = new NpgsqlCommand("SELECT count(*) FROM documents", connection, tx);
        var withoutContext = (long)(await count.ExecuteScalarAsync(Ct))!;
        await tx.RollbackAsync(Ct);
        await using var asApp = new NpgsqlCommand("SELECT count(*) FROM documents", connection);
        var denied = await Assert.ThrowsAsync<PostgresException>(() => asApp.ExecuteScalarAsync(Ct));

        Assert.Equal(0L, withoutContext);
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, denied.SqlState);
    }

    [Fact]
    public async Task PooledConnection_AfterTenantA_CarriesNoContextToNextBorrower()
    {
        await using var database = await server.OpenInstallationAsync("t_conc_p", o => o.SharedMaxPoolSize = 1);
        var a = Slugs.Unique("a");
        await database.Catalog.CreateAsync(a, TenancyMode.Shared, Ct);
        await TenantRows.InsertDocumentsAsync(database, a, "a-doc");
        int pidA;
        await using (var session = await database.Sessions.OpenSessionAsync(TenantContext.For(a, UserId.Parse("u1")), Ct))
        {
            pidA = await ScalarAsync<int>(session, "SELECT pg_backend_pid()");
            await session.CommitAsync(Ct);
        }

        // Borrow the same physical connection straight from the pool, as a bug that skips the session would
        // ("app|<database>" is the registry key of the serving role's pool, see Tenancy/Pools.cs).
        var lease = database.Registry.Acquire("app|" + database.Installation.Names.Shared, () => throw new InvalidOperationException("the shared pool should exist"));
        using (lease)
        {
            await using var connection = await lease.DataSource.OpenConnectionAsync(Ct);
            await using var cmd = new NpgsqlCommand(
                "SELECT pg_backend_pid(), current_user, coalesce(current_setting('tenantrag.tenant_id', true), ''), coalesce(current_setting('request.jwt.claims', true), '')", connection);
            await using var reader = await cmd.ExecuteReaderAsync(Ct);
            await reader.ReadAsync(Ct);

            Assert.Equal(pidA, reader.GetInt32(0));
            Assert.Equal(database.Installation.Names.AppRole, reader.GetString(1));
            Assert.Equal(string.Empty, reader.GetString(2));
            Assert.Equal(string.Empty, reader.GetString(3));
        }
    }

    private static async Task<T> ScalarAsync<T>(Postgres.Tenancy.TenantSession session, string sql, params object[] parameters)
    {
        await using var cmd = session.CreateCommand(sql);
        foreach (var p in parameters)
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = p });
        }

        return (T)(await cmd.ExecuteScalarAsync(Ct))!;
    }

    // Worker i's transaction j serves tenant (i + j) % 2 and reads documents with no WHERE clause at all.
    private static async Task<HammerResult> HammerAsync(TenantRagDatabase database, TenantSlug[] tenants, int transactionsPerWorker)
    {
        var backends = new ConcurrentDictionary<(string Database, int Pid), byte>();
        long transactions = 0, foreignRows = 0, ownRows = 0, withoutCanaries = 0, wrongDatabase = 0;
        var started = System.Diagnostics.Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Workers).Select(worker => Task.Run(async () =>
        {
            for (var j = 0; j < transactionsPerWorker; j++)
            {
                var tenant = tenants[(worker + j) % 2];
                var canary = $"canary-{tenant}-";
                await using var session = await database.Sessions.OpenSessionAsync(TenantContext.For(tenant, UserId.Parse($"worker-{worker}")), Ct);
                await using var batch = new NpgsqlBatch(session.Connection, session.Transaction)
                {
                    BatchCommands =
                    {
                        new NpgsqlBatchCommand("SELECT pg_backend_pid(), current_database()"),
                        new NpgsqlBatchCommand("SELECT tenant_id, title FROM documents"),
                    },
                };
                await using var reader = await batch.ExecuteReaderAsync(Ct);
                await reader.ReadAsync(Ct);
                var pid = reader.GetInt32(0);
                var currentDatabase = reader.GetString(1);
                backends.TryAdd((currentDatabase, pid), 0);
                if (currentDatabase != session.Tenant.Database)
                {
                    Interlocked.Increment(ref wrongDatabase);
                }

                await reader.NextResultAsync(Ct);
                long own = 0, foreign = 0;
                while (await reader.ReadAsync(Ct))
                {
                    if (reader.GetString(0) != session.TenantId || !reader.GetString(1).StartsWith(canary, StringComparison.Ordinal))
                    {
                        foreign++;
                    }
                    else
                    {
                        own++;
                    }
                }

                Interlocked.Add(ref foreignRows, foreign);
                Interlocked.Add(ref ownRows, own);
                if (own == 0)
                {
                    Interlocked.Increment(ref withoutCanaries);
                }

                Interlocked.Increment(ref transactions);
            }
        }, Ct)));

        return new HammerResult
        {
            Transactions = transactions,
            ForeignRows = foreignRows,
            OwnRows = ownRows,
            TransactionsWithoutOwnCanaries = withoutCanaries,
            WrongDatabase = wrongDatabase,
            BackendsPerDatabase = backends.Keys.GroupBy(k => k.Database).ToDictionary(g => g.Key, g => g.Count()),
            Elapsed = started.Elapsed,
        };
    }

    private sealed record HammerResult
    {
        public long Transactions { get; init; }

        public long ForeignRows { get; init; }

        public long OwnRows { get; init; }

        public long TransactionsWithoutOwnCanaries { get; init; }

        public long WrongDatabase { get; init; }

        public required Dictionary<string, int> BackendsPerDatabase { get; init; }

        public TimeSpan Elapsed { get; init; }

        public override string ToString() =>
            $"{Transactions} transactions in {Elapsed.TotalSeconds:F1} s, own rows {OwnRows}, foreign rows {ForeignRows}, " +
            $"backends {string.Join(", ", BackendsPerDatabase.Select(kv => $"{kv.Key}={kv.Value}"))}";
    }
}
