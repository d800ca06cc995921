using BenchmarkDotNet.Attributes;
using TenantRag.Rag.Retrieval;
using TenantRag.Retrieval;

namespace TenantRag.Benchmarks;

/// <summary>
/// BM25 top-10 over an in-memory <see cref="LexicalIndex"/>: chunks of 120 words drawn from a Zipf law over 50,000
/// terms (about 70 distinct terms a chunk, as stemmed text without stop words has), a fifth of the rows private to one
/// of 50 users; each call runs the next of 200 queries of 8 words from the same law, as the next user.
/// </summary>
[MemoryDiagnoser]
public class LexicalSearchBenchmarks : IndexBenchmarks
{
    private const int Vocabulary = 50_000;
    private const int WordsPerChunk = 120;
    private const int WordsPerQuery = 8;

    private LexicalIndex[] _partitions = [];
    private string[][] _queries = [];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(12345);
        var zipf = SyntheticData.ZipfCumulative(Vocabulary, exponent: 1.0);
        var terms = Enumerable.Range(0, Vocabulary).Select(rank => "w" + rank).ToArray();
        var builder = new LexicalIndexBuilder();
        var counts = new Dictionary<int, int>();
        for (var row = 0; row < Rows; row++)
        {
            counts.Clear();
            for (var w = 0; w < WordsPerChunk; w++)
            {
                var rank = SyntheticData.Draw(random, zipf);
                counts[rank] = counts.GetValueOrDefault(rank) + 1;
            }

            // As ChunkTerms counts them: the first occurrence fully, the j-th adds 1/j², so repeats saturate.
            var chunkTerms = counts.Select(c => (terms[c.Key], Saturated(c.Value))).ToList();
            builder.Add(new ChunkTerms(row, SyntheticData.Owner(row), SyntheticData.IsPrivate(row), chunkTerms.Count, chunkTerms));
        }

        _partitions = [builder.Build()];
        _queries = new string[Queries][];
        for (var i = 0; i < Queries; i++)
        {
            _queries[i] = [.. Enumerable.Range(0, WordsPerQuery).Select(_ => terms[SyntheticData.Draw(random, zipf)]).Distinct()];
        }
    }

    [Benchmark(Description = "BM25 top-10")]
    public IReadOnlyList<(long ChunkId, float Score)> Search()
    {
        var i = NextQuery();
        return LexicalIndex.Search(_partitions, _queries[i], K, SyntheticData.Owner(i));
    }

    private static float Saturated(int occurrences)
    {
        float frequency = 0;
        for (var j = 1; j <= occurrences; j++)
        {
            frequency += 1f / (j * j);
        }

        return frequency;
    }
}
