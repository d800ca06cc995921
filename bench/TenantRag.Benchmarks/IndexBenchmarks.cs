using BenchmarkDotNet.Attributes;

namespace TenantRag.Benchmarks;

/// <summary>
/// What the index benchmarks share: the index sizes, and queries taken in turn, each as the next of 50 users (a fifth
/// of the rows is private to one of them, <see cref="SyntheticData.IsPrivate"/>).
/// </summary>
public abstract class IndexBenchmarks
{
    /// <summary>Hits asked for, as the server's retrievers ask.</summary>
    protected const int K = 10;

    /// <summary>Distinct queries, taken in turn.</summary>
    protected const int Queries = 200;

    private int _next;

    /// <summary>Rows in the index (a small tenant, a large one).</summary>
    [Params(10_000, 100_000)]
    public int Rows { get; set; }

    /// <summary>The next query's number (0 to <see cref="Queries"/> - 1); the searching user is <see cref="SyntheticData.Owner"/> of it.</summary>
    protected int NextQuery() => _next++ % Queries;
}
