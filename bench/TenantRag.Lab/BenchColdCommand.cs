using System.CommandLine;
using System.Diagnostics;
using Npgsql;
using TenantRag.Documents;
using TenantRag.Postgres;
using TenantRag.Postgres.Cluster;
using TenantRag.Postgres.Installation;
using TenantRag.Rag.Embeddings;
using TenantRag.Rag.Retrieval;
using TenantRag.Rag.Retrieval.Search;
using TenantRag.Retrieval;
using TenantRag.Tenancy;

namespace TenantRag.Lab;

/// <summary>
/// <c>tenantrag bench cold</c>: the first search of a cold tenant of N chunks (its indexes in no process's cache; the
/// server, PostgreSQL and the query model warm), loaded from its chunks and from its index snapshots, the warm p50, and
/// the snapshots' size; on a throwaway cluster. The target: 100 ms for 10,000 chunks on 2 cores.
/// </summary>
internal static class BenchColdCommand
{
    private const int ColdRuns = 7;
    private const int WarmQueries = 100;

    public static Command Create(BenchAction action)
    {
        var chunks = new Option<int>("--chunks") { Description = "Chunks of the cold tenant", DefaultValueFactory = _ => 10_000 };
        var command = new Command("cold", "First search of a cold tenant of N chunks, with and without its index snapshots, warm p50 and snapshot size, on a throwaway cluster") { chunks };
        command.SetAction(action(cli => RunAsync(cli, cli.Parse.GetValue(chunks))));
        return command;
    }

    /// <summary>
    /// Measures <paramref name="context"/>'s tenant (already filled): first searches with an empty cache, loading from the
    /// chunks and then (after <see cref="IndexSnapshots.RebuildAsync"/>) from the snapshots, then the warm p50.
    /// </summary>
    /// <param name="database">The installation.</param>
    /// <param name="embeddings">The query model, already warm.</param>
    /// <param name="context">A user of the cold tenant.</param>
    /// <param name="queries">Query texts, at least <see cref="ColdRuns"/>; warm searches cycle through them.</param>
    /// <param name="ct">Cancels the measurement.</param>
    internal static async Task<ColdFigures> MeasureAsync(TenantRagDatabase database, MiniLmEmbeddingGenerator embeddings, TenantContext context,
        IReadOnlyList<string> queries, CancellationToken ct)
    {
        using var cache = new RetrievalIndexCache();
        await using var snapshots = new IndexSnapshots(database.Search, database.Snapshots);
        var options = new SearchServiceOptions { QueryEmbeddingCacheBytes = 0, CacheScope = "bench-cold" };
        var fromChunks = new SearchService(database.Search, embeddings, cache, options);
        var fromSnapshots = new SearchService(database.Search, embeddings, cache, new SearchServiceOptions { QueryEmbeddingCacheBytes = 0, CacheScope = "bench-cold", Snapshots = snapshots });

        // PostgreSQL's buffers and the code paths warm: one load of each kind before the timed ones.
        await fromChunks.SearchAsync(context, queries[0], 10, cancellationToken: ct).ConfigureAwait(false);
        var chunkRuns = await ColdRunsAsync(fromChunks, cache, context, queries, ct).ConfigureAwait(false);
        var bytes = await snapshots.RebuildAsync(context, ct).ConfigureAwait(false);
        cache.Clear();
        await fromSnapshots.SearchAsync(context, queries[0], 10, cancellationToken: ct).ConfigureAwait(false);
        var snapshotRuns = await ColdRunsAsync(fromSnapshots, cache, context, queries, ct).ConfigureAwait(false);

        var warm = new List<double>(WarmQueries);
        for (var i = 0; i < WarmQueries; i++)
        {
            var result = await fromSnapshots.SearchAsync(context, queries[i % queries.Count], 10, cancellationToken: ct).ConfigureAwait(false);
            warm.Add(result.Timings.TotalMs);
        }

        warm.Sort();
        var parts = await SnapshotPartsAsync(database, embeddings, context, ct).ConfigureAwait(false);
        return new ColdFigures(chunkRuns, snapshotRuns, Math.Round(warm[warm.Count / 2], 1), bytes, parts);
    }

    // Where a snapshot load's time goes: opening the session, reading each row, decoding it (medians of ColdRuns).
    private static async Task<SnapshotParts> SnapshotPartsAsync(TenantRagDatabase database, MiniLmEmbeddingGenerator embeddings, TenantContext context,
        CancellationToken ct)
    {
        var model = new EmbeddingModel(embeddings.ModelName, embeddings.Dimensions);
        var runs = new List<double[]>(ColdRuns);
        for (var i = 0; i < ColdRuns; i++)
        {
            var watch = Stopwatch.StartNew();
            await using var session = await database.Search.OpenAsync(context, ct).ConfigureAwait(false);
            var version = (await session.StartAsync("first", ct).ConfigureAwait(false)).DataVersion;
            var open = watch.Elapsed.TotalMilliseconds;
            watch.Restart();
            _ = await session.DistinctEmbeddingModelsAsync(ct).ConfigureAwait(false);
            var models = watch.Elapsed.TotalMilliseconds;
            watch.Restart();
            var lexicalBytes = await session.ReadSnapshotAsync(IndexSnapshotKey.Lexical, version, ct).ConfigureAwait(false)
                ?? throw new BenchFailedException("the tenant has no full-text snapshot at its current version");
            var lexicalRead = watch.Elapsed.TotalMilliseconds;
            watch.Restart();
            _ = LexicalIndex.FromSnapshot(lexicalBytes);
            var lexicalDecode = watch.Elapsed.TotalMilliseconds;
            watch.Restart();
            var vectorBytes = await session.ReadSnapshotAsync(IndexSnapshotKey.Vector(model), version, ct).ConfigureAwait(false)
                ?? throw new BenchFailedException("the tenant has no vector snapshot at its current version");
            var vectorRead = watch.Elapsed.TotalMilliseconds;
            watch.Restart();
            _ = VectorIndex.FromSnapshot(vectorBytes, model.Dimensions);
            var vectorDecode = watch.Elapsed.TotalMilliseconds;
            runs.Add([open, lexicalRead, lexicalDecode, vectorRead, vectorDecode, lexicalBytes.Length, vectorBytes.Length, models]);
        }

        double Median(int column) => Math.Round(runs.Select(r => r[column]).Order().ElementAt(runs.Count / 2), 1);
        return new SnapshotParts(Median(0), Median(7), Median(1), Median(2), Median(3), Median(4), (long)runs[0][5], (long)runs[0][6]);
    }

    private static async Task<ColdRun> ColdRunsAsync(SearchService search, RetrievalIndexCache cache, TenantContext context, IReadOnlyList<string> queries, CancellationToken ct)
    {
        var runs = new List<(double Total, double Lexical, double Vector, double Embedding)>(ColdRuns);
        for (var i = 0; i < ColdRuns; i++)
        {
            cache.Clear();
            var watch = Stopwatch.StartNew();
            var result = await search.SearchAsync(context, queries[(i + 1) % queries.Count], 10, cancellationToken: ct).ConfigureAwait(false);
            runs.Add((watch.Elapsed.TotalMilliseconds, result.Timings.LexicalMs, result.Timings.VectorMs, result.Timings.EmbeddingMs));
        }

        var median = runs.OrderBy(r => r.Total).ElementAt(runs.Count / 2);
        return new ColdRun(Math.Round(median.Total, 1), Math.Round(runs.Max(r => r.Total), 1), Math.Round(median.Lexical, 1), Math.Round(median.Vector, 1), Math.Round(median.Embedding, 1));
    }

    private static async Task<int> RunAsync(BenchContext cli, int chunkCount)
    {
        BenchServer.CheckRange("--chunks", chunkCount, 100, 1_000_000);
        var ct = cli.CancellationToken;
        var home = new TenantRagHome(Path.Combine(Path.GetTempPath(), "tenantrag-bench-cold-" + Environment.ProcessId));
        home.EnsureExists();
        var secrets = Secrets.LoadOrCreate(home);
        var cluster = await EmbeddedCluster.OpenAsync(home, secrets, new EmbeddedClusterOptions { Durable = false }, ct).ConfigureAwait(false);
        try
        {
            var endpoint = await cluster.EnsureStartedAsync(ct).ConfigureAwait(false);
            await using var database = await TenantRagDatabase.OpenAsync(endpoint, secrets, new TenancyOptions(), cancellationToken: ct).ConfigureAwait(false);
            using var embeddings = new MiniLmEmbeddingGenerator(new MiniLmEmbeddingGeneratorOptions { IntraOpNumThreads = 1, Precision = EmbeddingPrecision.Int8 });
            var slug = TenantSlug.Parse("bench-cold");
            await database.Catalog.CreateAsync(slug, TenancyMode.Shared, ct).ConfigureAwait(false);
            var context = new TenantContext { Tenant = slug, User = UserId.Parse("bench") };
            var passages = BenchColdCorpus.Passages(chunkCount);
            var filling = Stopwatch.StartNew();
            await BenchColdCorpus.FillAsync(database, context, passages, new(embeddings.ModelName, embeddings.Dimensions), ct).ConfigureAwait(false);
            // A cold tenant was untouched for longer than autovacuum takes to analyze what the seeding wrote (a minute at
            // most): give the planner the statistics it would have, not those of an empty table.
            await using (var admin = new NpgsqlConnection(database.Installation.AdminConnectionString(database.Installation.Names.Shared)))
            {
                await admin.OpenAsync(ct).ConfigureAwait(false);
                await using var analyze = new NpgsqlCommand("ANALYZE public.chunks", admin);
                await analyze.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            if (!cli.Json)
            {
                Console.Error.WriteLine($"seeded {chunkCount} chunks in {filling.Elapsed.TotalSeconds:F1} s");
            }

            // Queries: a few words of the tenant's own passages, so full-text search has work to do.
            var queries = Enumerable.Range(0, WarmQueries)
                .Select(i => string.Join(' ', passages[i * 97 % passages.Count].Split(' ').Skip(i % 20).Take(6)))
                .ToList();
            await embeddings.GenerateAsync(queries.Take(20), cancellationToken: ct).ConfigureAwait(false);
            var figures = await MeasureAsync(database, embeddings, context, queries, ct).ConfigureAwait(false);
            if (cli.Json)
            {
                cli.WriteJson(new { chunks = chunkCount, figures.FromChunks, figures.FromSnapshots, figures.Parts, figures.WarmP50Ms, figures.SnapshotBytes, load = BenchServer.LoadAverage() });
            }
            else
            {
                Console.WriteLine($"cold tenant of {chunkCount} chunks, first search (median of {ColdRuns}, max; lexical/vector/embedding stages):");
                Console.WriteLine($"  from its chunks:    {figures.FromChunks}");
                Console.WriteLine($"  from its snapshots: {figures.FromSnapshots} (target <= 100 ms)");
                Console.WriteLine($"  snapshot path apart: {figures.Parts}");
                Console.WriteLine($"warm p50 {figures.WarmP50Ms} ms; snapshots {figures.SnapshotBytes / 1024.0 / 1024.0:F1} MiB; load average {BenchServer.LoadAverage()}");
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

    /// <summary>What <see cref="MeasureAsync"/> found.</summary>
    /// <param name="FromChunks">First searches with the indexes loaded from the chunks.</param>
    /// <param name="FromSnapshots">First searches with the indexes read from the snapshots.</param>
    /// <param name="WarmP50Ms">The median search with the indexes cached.</param>
    /// <param name="SnapshotBytes">The snapshots' size (full-text and vector).</param>
    /// <param name="Parts">The snapshot path's parts, timed apart.</param>
    internal sealed record ColdFigures(ColdRun FromChunks, ColdRun FromSnapshots, double WarmP50Ms, long SnapshotBytes, SnapshotParts Parts);

    /// <summary>
    /// The snapshot path's parts (medians): session open and start, the query of the tenant's embedding models (once per
    /// data version), each row's read and decoding, each row's size.
    /// </summary>
    internal sealed record SnapshotParts(double OpenMs, double ModelsMs, double LexicalReadMs, double LexicalDecodeMs, double VectorReadMs, double VectorDecodeMs,
        long LexicalBytes, long VectorBytes)
    {
        /// <inheritdoc />
        public override string ToString() =>
            $"session {OpenMs} ms; models {ModelsMs} ms; full-text row {LexicalBytes / 1024.0 / 1024.0:F1} MiB read {LexicalReadMs} ms, decoded {LexicalDecodeMs} ms; " +
            $"vector row {VectorBytes / 1024.0 / 1024.0:F1} MiB read {VectorReadMs} ms, decoded {VectorDecodeMs} ms";
    }

    /// <summary>First searches of a cold tenant: median and slowest total, and the median run's stages.</summary>
    internal sealed record ColdRun(double MedianMs, double MaxMs, double LexicalMs, double VectorMs, double EmbeddingMs)
    {
        /// <inheritdoc />
        public override string ToString() => $"{MedianMs} ms (max {MaxMs}; lexical {LexicalMs}, vector {VectorMs}, embedding {EmbeddingMs})";
    }
}
