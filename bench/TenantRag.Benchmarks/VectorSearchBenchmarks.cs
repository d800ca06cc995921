using BenchmarkDotNet.Attributes;
using TenantRag.Rag.Retrieval;

namespace TenantRag.Benchmarks;

/// <summary>
/// Exact top-10 vector search over an in-memory index of random unit vectors (384 dimensions, the model's), a fifth of
/// the rows private to one of 50 users; each call searches for the next of 200 queries as the next user.
/// </summary>
[MemoryDiagnoser]
public class VectorSearchBenchmarks : IndexBenchmarks
{
    private const int Dimensions = 384;

    private VectorIndex _index = VectorIndex.CreateEmpty(Dimensions);
    private float[][] _queries = [];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(12345);
        var builder = new VectorIndexBuilder(Dimensions, Rows);
        var vector = new float[Dimensions];
        for (var row = 0; row < Rows; row++)
        {
            SyntheticData.FillUnit(random, vector);
            builder.Add(row, SyntheticData.Owner(row), SyntheticData.IsPrivate(row), vector);
        }

        _index = builder.Build();
        _queries = new float[Queries][];
        for (var i = 0; i < Queries; i++)
        {
            _queries[i] = new float[Dimensions];
            SyntheticData.FillUnit(random, _queries[i]);
        }
    }

    [Benchmark(Description = "exact top-10")]
    public IReadOnlyList<VectorIndexHit> Search()
    {
        var i = NextQuery();
        return _index.Search(_queries[i], K, SyntheticData.Owner(i));
    }
}
