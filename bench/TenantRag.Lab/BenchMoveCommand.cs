using System.CommandLine;
using System.Diagnostics;
using Npgsql;
using TenantRag.Postgres;
using TenantRag.Postgres.Cluster;
using TenantRag.Postgres.Fleet;
using TenantRag.Postgres.Installation;
using TenantRag.Postgres.Moves;
using TenantRag.Tenancy;

namespace TenantRag.Lab;

/// <summary>
/// <c>tenantrag bench move</c>: a shared tenant of N chunks (synthetic rows with 384-dimension vectors) moved online to
/// a dedicated database and back, on a throwaway cluster, while a writer keeps writing to it: copy time, catch-up lag,
/// how long writes were fenced (the target: at most 2 s for 10,000 chunks), and the longest any write waited.
/// </summary>
internal static class BenchMoveCommand
{
    public static Command Create(BenchAction action)
    {
        var chunks = new Option<int>("--chunks") { Description = "Chunks of the moved tenant", DefaultValueFactory = _ => 10_000 };
        var command = new Command("move", "Move a tenant of N chunks shared → dedicated → shared under a steady writer, on a throwaway cluster; copy, catch-up, fence, longest write") { chunks };
        command.SetAction(action(cli => RunAsync(cli, cli.Parse.GetValue(chunks))));
        return command;
    }

    private static async Task<int> RunAsync(BenchContext cli, int chunkCount)
    {
        BenchServer.CheckRange("--chunks", chunkCount, 100, 1_000_000);
        var ct = cli.CancellationToken;
        var home = new TenantRagHome(Path.Combine(Path.GetTempPath(), "tenantrag-bench-move-" + Environment.ProcessId));
        home.EnsureExists();
        var secrets = Secrets.LoadOrCreate(home);
        var cluster = await EmbeddedCluster.OpenAsync(home, secrets, new EmbeddedClusterOptions { Durable = false, LogicalReplication = true }, ct).ConfigureAwait(false);
        try
        {
            var endpoint = await cluster.EnsureStartedAsync(ct).ConfigureAwait(false);
            await using var database = await TenantRagDatabase.OpenAsync(endpoint, secrets, new TenancyOptions(), cancellationToken: ct).ConfigureAwait(false);
            var slug = TenantSlug.Parse("bench-move");
            var tenant = await database.Catalog.CreateAsync(slug, TenancyMode.Shared, ct).ConfigureAwait(false);
            var context = new TenantContext { Tenant = slug, User = UserId.Parse("bench") };
            await FillAsync(database, context, chunkCount, ct).ConfigureAwait(false);

            var mover = new TenantMover(database, new ServerFleet(database, home));
            var runs = new List<object>();
            foreach (var mode in new[] { TenancyMode.Dedicated, TenancyMode.Shared })
            {
                using var stop = new CancellationTokenSource();
                var (longest, writes, refused) = (TimeSpan.Zero, 0, 0);
                var writer = Task.Run(async () =>
                {
                    while (!stop.IsCancellationRequested)
                    {
                        var took = Stopwatch.StartNew();
                        try
                        {
                            await database.Sessions.WriteAsync(context, async (session, token) =>
                            {
                                // A fenced write (a query's usage event is not: reads are never fenced), as small as one is.
                                await using var cmd = session.CreateCommand("INSERT INTO public.documents (title, content_hash) VALUES ('bench write', $1)");
                                cmd.Parameters.Add(new() { Value = "bench" });
                                return await cmd.ExecuteNonQueryAsync(token).ConfigureAwait(false);
                            }, ct).ConfigureAwait(false);
                            writes++;
                        }
                        catch (TenantMovingException)
                        {
                            refused++;
                        }

                        longest = took.Elapsed > longest ? took.Elapsed : longest;
                        await Task.Delay(10, ct).ConfigureAwait(false);
                    }
                }, ct);

                await Task.Delay(500, ct).ConfigureAwait(false);
                var report = await mover.MoveAsync(slug, null, mode, ct).ConfigureAwait(false);
                await Task.Delay(500, ct).ConfigureAwait(false);
                await stop.CancelAsync().ConfigureAwait(false);
                await writer.ConfigureAwait(false);
                var run = new
                {
                    from = report.Move.From.Mode.ToName(),
                    to = report.Move.To.Mode.ToName(),
                    chunks = report.Rows?.Chunks,
                    copyMs = (long)report.Copy!.Value.TotalMilliseconds,
                    catchUpMs = (long)report.CatchUp!.Value.TotalMilliseconds,
                    fenceMs = (long)report.Fence!.Value.TotalMilliseconds,
                    longestWriteMs = (long)longest.TotalMilliseconds,
                    writes,
                    refusedWrites = refused,
                };
                runs.Add(run);
                if (!cli.Json)
                {
                    Console.WriteLine($"{run.from} -> {run.to}: {run.chunks} chunks, copy {run.copyMs} ms, catch-up lag {run.catchUpMs} ms, writes fenced {run.fenceMs} ms " +
                        $"(target <= 2000 ms); longest write {run.longestWriteMs} ms, {run.writes} writes, {run.refusedWrites} answered 'moving'");
                }
            }

            if (cli.Json)
            {
                cli.WriteJson(new { chunks = chunkCount, runs });
            }

            return 0;
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await cluster.StopAsync(immediate: true, CancellationToken.None).ConfigureAwait(false);
            Directory.Delete(home.Root, recursive: true);
        }
    }

    // N chunks in documents of 100, each with a 384-dimension vector (random bytes: the move copies bytes, it does not
    // look at them), written in the tenant's own sessions like any upload.
    private static async Task FillAsync(TenantRagDatabase database, TenantContext context, int chunkCount, CancellationToken ct)
    {
        for (var done = 0; done < chunkCount; done += 100)
        {
            var count = Math.Min(100, chunkCount - done);
            await database.Sessions.WriteAsync(context, async (session, token) =>
            {
                await using var cmd = session.CreateCommand("""
                    WITH d AS (INSERT INTO public.documents (title, content_hash, byte_size) VALUES ($1, md5($1), 1000) RETURNING id)
                    INSERT INTO public.chunks (document_id, ordinal, content, content_hash, embedding, embedding_model, embedding_dims)
                    SELECT d.id, g, 'Synthetic passage ' || g || ' of ' || $1 || ': the walrus ledger lists every tusk.', md5($1 || g),
                           decode(repeat(md5(random()::text), 96), 'hex'), 'bench', 384
                    FROM d, generate_series(0, $2 - 1) g
                    """);
                cmd.Parameters.Add(new() { Value = $"Document {done / 100:D5}" });
                cmd.Parameters.Add(new() { Value = count });
                return await cmd.ExecuteNonQueryAsync(token).ConfigureAwait(false);
            }, ct).ConfigureAwait(false);
        }
    }
}
