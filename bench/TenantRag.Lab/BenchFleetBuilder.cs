using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using TenantRag.Documents;
using TenantRag.Postgres;
using TenantRag.Rag.Ingestion.Pipeline;
using TenantRag.Tenancy;

namespace TenantRag.Lab;

/// <summary>A tenant of the fleet: its slug, model, and whether it is one of the big ones.</summary>
internal sealed record BenchFleetTenant(TenantSlug Slug, TenancyMode Mode, bool Big);

/// <summary>
/// Create times of one model: how many, wall-clock seconds for all of them, the latency of a create one at a time, and of
/// a create while <c>Parallel</c> run at once.
/// </summary>
internal sealed record BenchFleetCreateFigures(string Mode, int Count, double Seconds, double PerSecond, BenchFleetLatency OneAtATime, int Parallel, BenchFleetLatency Concurrent);

/// <summary>
/// Builds the fleet through the product's own paths: tenants with the catalog (<c>CreateAsync</c>, the same call as
/// <c>tenant create</c> and the admin API), documents with the ingestion pipeline in tenant sessions; only the big
/// tenants' chunks are seeded rows, written in the tenant's own sessions.
/// </summary>
internal static class BenchFleetBuilder
{
    private const string User = "bench";
    private const int SeedBatch = 250;
    private static readonly TimeSpan ProgressEvery = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Creates <paramref name="tenants"/> of one model: the first <paramref name="oneAtATime"/> one after the other (the
    /// latency of a create on a quiet server), the rest <paramref name="parallel"/> at a time (throughput, and the latency
    /// of a create under that concurrency).
    /// </summary>
    public static async Task<BenchFleetCreateFigures> CreateAsync(BenchContext cli, TenantRagDatabase database, IReadOnlyList<BenchFleetTenant> tenants,
        TenancyMode mode, int oneAtATime, int parallel, CancellationToken ct)
    {
        var alone = new List<double>();
        var together = new ConcurrentBag<double>();
        var watch = Stopwatch.StartNew();
        var progress = Progress(cli, $"creating {tenants.Count} {mode.ToName()} tenants", tenants.Count);
        foreach (var tenant in tenants.Take(oneAtATime))
        {
            alone.Add(await TimedCreateAsync(database, tenant, mode, ct).ConfigureAwait(false));
            progress();
        }

        await Parallel.ForEachAsync(tenants.Skip(oneAtATime), new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = ct }, async (tenant, token) =>
        {
            together.Add(await TimedCreateAsync(database, tenant, mode, token).ConfigureAwait(false));
            progress();
        }).ConfigureAwait(false);

        var seconds = watch.Elapsed.TotalSeconds;
        return new BenchFleetCreateFigures(mode.ToName(), tenants.Count, Math.Round(seconds, 2), Math.Round(tenants.Count / Math.Max(seconds, 1e-3), 1),
            BenchFleetLatency.Of(alone), parallel, BenchFleetLatency.Of(together));
    }

    private static async Task<double> TimedCreateAsync(TenantRagDatabase database, BenchFleetTenant tenant, TenancyMode mode, CancellationToken ct)
    {
        var one = Stopwatch.StartNew();
        await database.Catalog.CreateAsync(tenant.Slug, mode, ct).ConfigureAwait(false);
        return one.Elapsed.TotalMilliseconds;
    }

    /// <summary>
    /// Ingests the small documents into every one of <paramref name="tenants"/> through the pipeline,
    /// <paramref name="parallel"/> tenants at a time; records when each tenant was last written.
    /// </summary>
    public static async Task<BenchFleetIngestFigures> IngestAsync(BenchContext cli, IngestionPipeline pipeline, IReadOnlyList<BenchFleetTenant> tenants,
        int docs, int parallel, ConcurrentDictionary<string, long> lastWritten, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        long added = 0, chunks = 0;
        var progress = Progress(cli, $"ingesting {docs} documents into each of {tenants.Count} tenants", tenants.Count);
        await Parallel.ForEachAsync(tenants, new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = ct }, async (tenant, token) =>
        {
            var summary = await pipeline.IngestAsync(new IngestionRequest { Context = TenantContext.For(tenant.Slug, UserId.Parse(User)), Inputs = BenchFleetCorpus.Inputs(docs) },
                null, token).ConfigureAwait(false);
            if (summary.HasRejections)
            {
                throw new BenchFailedException($"ingesting into {tenant.Slug} rejected {summary.Rejected.Count} documents: {summary.Rejected[0]}");
            }

            lastWritten[tenant.Slug.Value] = Stopwatch.GetTimestamp();
            Interlocked.Add(ref added, summary.Added);
            Interlocked.Add(ref chunks, summary.Chunks);
            progress();
        }).ConfigureAwait(false);
        return new BenchFleetIngestFigures(tenants.Count, Math.Round(watch.Elapsed.TotalSeconds, 2), added, chunks);
    }

    /// <summary>
    /// <paramref name="count"/> chunks for <paramref name="tenant"/>, seeded: documents of <see cref="SeedBatch"/> synthetic
    /// passages each with random unit vectors of the server's model, inserted in the tenant's own write sessions (row-level
    /// security and the tenant's triggers apply), not embedded.
    /// </summary>
    public static async Task<double> SeedBigAsync(TenantRagDatabase database, BenchFleetTenant tenant, int count, EmbeddingModel model, int seed, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        var context = TenantContext.For(tenant.Slug, UserId.Parse(User));
        var random = new Random(seed);
        for (var done = 0; done < count; done += SeedBatch)
        {
            var size = Math.Min(SeedBatch, count - done);
            var texts = Enumerable.Range(done, size).Select(BenchFleetCorpus.Passage).ToArray();
            var vectors = Enumerable.Range(0, size).Select(_ => UnitVector(random, model.Dimensions)).ToArray();
            var title = $"Seeded passages {done / SeedBatch + 1:D4}";
            await database.Sessions.WriteAsync(context, async (session, token) =>
            {
                await using var cmd = session.CreateCommand("""
                    WITH d AS (
                        INSERT INTO public.documents (title, source, content_hash, byte_size)
                        VALUES ($1, $1, md5($1), $2) RETURNING id)
                    INSERT INTO public.chunks (document_id, ordinal, content, content_hash, token_count, embedding, embedding_model, embedding_dims)
                    SELECT d.id, t.n - 1, t.content, md5($3 || t.content), 24, t.embedding, $3, $4
                    FROM d, unnest($5::text[], $6::bytea[]) WITH ORDINALITY AS t(content, embedding, n)
                    """);
                cmd.Parameters.Add(new() { Value = title });
                cmd.Parameters.Add(new() { Value = texts.Sum(t => (long)t.Length) });
                cmd.Parameters.Add(new() { Value = model.Name });
                cmd.Parameters.Add(new() { Value = model.Dimensions });
                cmd.Parameters.Add(new() { Value = texts });
                cmd.Parameters.Add(new() { Value = vectors });
                return await cmd.ExecuteNonQueryAsync(token).ConfigureAwait(false);
            }, ct).ConfigureAwait(false);
        }

        return Math.Round(watch.Elapsed.TotalSeconds, 2);
    }

    // A random direction, unit length, as the stored little-endian float32 bytes.
    private static byte[] UnitVector(Random random, int dimensions)
    {
        var vector = new float[dimensions];
        double norm = 0;
        for (var i = 0; i < dimensions; i++)
        {
            vector[i] = (float)(random.NextDouble() * 2 - 1);
            norm += vector[i] * vector[i];
        }

        var scale = (float)(1 / Math.Sqrt(norm));
        for (var i = 0; i < dimensions; i++)
        {
            vector[i] *= scale;
        }

        return MemoryMarshal.AsBytes(vector.AsSpan()).ToArray();
    }

    // A progress line every 15 s at most (long runs say where they are; short ones say nothing).
    private static Action Progress(BenchContext cli, string label, int total)
    {
        var done = 0;
        var started = Stopwatch.GetTimestamp();
        var last = started;
        var gate = new Lock();
        return () =>
        {
            var now = Interlocked.Increment(ref done);
            lock (gate)
            {
                if (Stopwatch.GetElapsedTime(last) >= ProgressEvery)
                {
                    last = Stopwatch.GetTimestamp();
                    BenchServer.Say(cli, FormattableString.Invariant($"  {label}: {now}/{total} after {Stopwatch.GetElapsedTime(started).TotalSeconds:F0} s"));
                }
            }
        };
    }
}

/// <summary>What ingesting the small documents did.</summary>
internal sealed record BenchFleetIngestFigures(int Tenants, double Seconds, long DocumentsAdded, long Chunks);
