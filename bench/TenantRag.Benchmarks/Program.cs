using System.Diagnostics;
using System.Globalization;
using TenantRag.Rag.Embeddings;
using TenantRag.Rag.Retrieval;

// Stopwatch micro-benchmarks (no BenchmarkDotNet here): exact top-k search over an in-memory index, and local
// embedding throughput. Run in Release:  dotnet run -c Release --project bench/TenantRag.Benchmarks [-- rows queries]
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
var rows = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
var queries = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200;
const int Dimensions = 384;
const int K = 10;

Console.WriteLine($"{Environment.ProcessorCount} cores, .NET {Environment.Version}, Vector512 {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated}");

var random = new Random(12345);
var build = Stopwatch.StartNew();
var builder = new VectorIndexBuilder(Dimensions, rows);
var vector = new float[Dimensions];
for (var row = 0; row < rows; row++)
{
    FillUnit(random, vector);

    // A realistic mix: a fifth of the rows private to one of 50 users.
    builder.Add(row, "user-" + (row % 50), isPrivate: row % 5 == 0, vector);
}

var index = builder.Build();
Console.WriteLine($"Built {index.Count:N0} x {Dimensions} index ({index.EstimatedBytes / (1024.0 * 1024.0):F1} MiB) in {build.ElapsedMilliseconds} ms");

var queryVectors = new float[queries][];
for (var i = 0; i < queries; i++)
{
    queryVectors[i] = new float[Dimensions];
    FillUnit(random, queryVectors[i]);
}

for (var i = 0; i < 20; i++)
{
    index.Search(queryVectors[i % queries], K, "user-1");
}

var timings = new double[queries];
for (var i = 0; i < queries; i++)
{
    var start = Stopwatch.GetTimestamp();
    var hits = index.Search(queryVectors[i], K, "user-" + (i % 50));
    timings[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    if (hits.Count != K)
    {
        throw new InvalidOperationException("unexpected hit count");
    }
}

Report($"Exact top-{K} search, {rows:N0} rows", timings);

if (!args.Contains("--no-embeddings"))
{
    using var generator = new MiniLmEmbeddingGenerator();
    var sentences = Enumerable.Range(0, 256)
        .Select(i => $"Section {i}: the {Words[i % Words.Length]} policy applies to {Words[(i * 7) % Words.Length]} requests " +
                     $"reviewed by the {Words[(i * 3) % Words.Length]} team every {1 + (i % 12)} months.")
        .ToArray();
    await generator.GenerateAsync(sentences.Take(16));
    var embed = Stopwatch.StartNew();
    await generator.GenerateAsync(sentences);
    embed.Stop();
    Console.WriteLine($"Embedding: {sentences.Length / embed.Elapsed.TotalSeconds:F0} sentences/s ({sentences.Length} sentences of ~20 words, batch 32)");

    var singles = new double[50];
    for (var i = 0; i < singles.Length; i++)
    {
        var start = Stopwatch.GetTimestamp();
        await generator.GenerateAsync([sentences[i]]);
        singles[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    Report("Single query embedding", singles);

    var passage = string.Join(' ', Enumerable.Range(0, 400).Select(i => Words[i % Words.Length]));
    var passages = Enumerable.Repeat(passage, 32).ToArray();
    embed.Restart();
    await generator.GenerateAsync(passages);
    Console.WriteLine($"Embedding: {passages.Length / embed.Elapsed.TotalSeconds:F1} passages/s (400 words, cut at 512 tokens)");

    // The server's query models: one intra-op thread per run, float weights against int8 ones (Embeddings:QueryPrecision).
    foreach (var precision in new[] { EmbeddingPrecision.Float32, EmbeddingPrecision.Int8 })
    {
        var loading = Stopwatch.StartNew();
        using var queryModel = new MiniLmEmbeddingGenerator(new MiniLmEmbeddingGeneratorOptions { IntraOpNumThreads = 1, Precision = precision });
        var loadMs = loading.ElapsedMilliseconds;
        await queryModel.GenerateAsync(sentences.Take(16));
        var perQuery = new double[200];
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        for (var i = 0; i < perQuery.Length; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await queryModel.GenerateAsync([sentences[i % sentences.Length]]);
            perQuery[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        var cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMilliseconds / perQuery.Length;
        Report($"Query embedding, {precision}, 1 thread (loaded in {loadMs} ms; {cpuMs:F2} ms CPU per query)", perQuery);
    }
}

static void Report(string name, double[] timings)
{
    var sorted = timings.Order().ToArray();
    double Percentile(double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
    Console.WriteLine($"{name}: p50 {Percentile(0.50):F2} ms, p95 {Percentile(0.95):F2} ms, max {sorted[^1]:F2} ms over {timings.Length} runs");
}

static void FillUnit(Random random, float[] vector)
{
    double sum = 0;
    for (var d = 0; d < vector.Length; d++)
    {
        var value = (random.NextDouble() * 2) - 1;
        vector[d] = (float)value;
        sum += value * value;
    }

    var norm = (float)Math.Sqrt(sum);
    for (var d = 0; d < vector.Length; d++)
    {
        vector[d] /= norm;
    }
}

internal static partial class Program
{
    private static readonly string[] Words =
    [
        "account", "billing", "security", "network", "invoice", "storage", "backup", "customer", "support", "release",
        "database", "tenant", "policy", "audit", "report", "schedule", "contract", "vendor", "payroll", "travel",
    ];
}
