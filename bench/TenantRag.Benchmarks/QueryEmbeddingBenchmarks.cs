using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.AI;
using TenantRag.Rag.Embeddings;

namespace TenantRag.Benchmarks;

/// <summary>
/// One query embedded by the bundled all-MiniLM-L6-v2 the way the server embeds queries: one intra-op thread, float32
/// or int8 weights (<c>Embeddings:QueryPrecision</c>); each call embeds the next of 64 sentences of about 20 words.
/// </summary>
[MemoryDiagnoser]
public class QueryEmbeddingBenchmarks
{
    private static readonly string[] Words =
    [
        "account", "billing", "security", "network", "invoice", "storage", "backup", "customer", "support", "release",
        "database", "tenant", "policy", "audit", "report", "schedule", "contract", "vendor", "payroll", "travel",
    ];

    private MiniLmEmbeddingGenerator? _generator;
    private string[] _sentences = [];
    private int _next;

    /// <summary>The query model's weights.</summary>
    [Params(EmbeddingPrecision.Float32, EmbeddingPrecision.Int8)]
    public EmbeddingPrecision Precision { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _sentences = [.. Enumerable.Range(0, 64).Select(i =>
            $"Section {i}: the {Words[i % Words.Length]} policy applies to {Words[(i * 7) % Words.Length]} requests " +
            $"reviewed by the {Words[(i * 3) % Words.Length]} team every {1 + (i % 12)} months.")];
        _generator = new MiniLmEmbeddingGenerator(new MiniLmEmbeddingGeneratorOptions { IntraOpNumThreads = 1, Precision = Precision });
    }

    [GlobalCleanup]
    public void Cleanup() => _generator?.Dispose();

    [Benchmark(Description = "embed one query")]
    public async Task<Embedding<float>> Embed()
    {
        var embeddings = await _generator!.GenerateAsync([_sentences[_next++ % _sentences.Length]]).ConfigureAwait(false);
        return embeddings[0];
    }
}
