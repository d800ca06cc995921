using TenantRag.Rag.Retrieval;

namespace TenantRag.Rag.Tests.Retrieval;

public sealed class VectorIndexTests
{
    private const int Dimensions = 384;

    [Theory]
    [InlineData(1)]
    [InlineData(10)]
    [InlineData(11)]
    [InlineData(1_000)]
    [InlineData(VectorIndex.QuantizationMinRows - 1)] // largest exhaustive-only index
    [InlineData(VectorIndex.QuantizationMinRows)] // smallest index with the int8 first pass
    [InlineData(20_000)]
    public void Search_matches_a_brute_force_scalar_reference(int count)
    {
        var vectors = RandomVectors.CreateUnit(count, Dimensions, seed: count);
        var index = Build(vectors, row => ("user-" + (row % 3), false));
        var queries = RandomVectors.CreateUnit(5, Dimensions, seed: -count);

        foreach (var query in queries)
        {
            var expected = Reference(vectors, query, 10, _ => true);

            var actual = index.Search(query, 10, "user-0");

            AssertSameRanking(expected, actual);
        }
    }

    [Theory]
    [InlineData(384, 0.05)]
    [InlineData(384, 0.005)] // tight clusters: thousands of rows within the int8 error bound of each other
    [InlineData(100, 0.02)] // a dimension that is not a multiple of the SIMD width
    public void Quantized_search_is_exact_on_clustered_data(int dimensions, double spread)
    {
        var random = new Random(dimensions);
        var centres = RandomVectors.CreateUnit(8, dimensions, seed: 99);
        var vectors = new float[6000][];
        for (var row = 0; row < vectors.Length; row++)
        {
            var noise = RandomVectors.CreateUnit(random, dimensions);
            var vector = new float[dimensions];
            for (var d = 0; d < dimensions; d++)
            {
                vector[d] = centres[row % centres.Length][d] + (float)(spread * noise[d]);
            }

            var norm = (float)Math.Sqrt(Dot(vector, vector));
            vectors[row] = vector.Select(v => v / norm).ToArray();
        }

        var index = Build(vectors, row => ("u" + (row % 4), row % 3 == 0));

        // Queries at, near and far from the clusters, one not unit-length, and one with a single non-zero component.
        var queries = new List<float[]> { centres[0], vectors[17], RandomVectors.CreateUnit(random, dimensions) };
        queries.Add(vectors[5].Select(v => v * 7.5f).ToArray());
        var spike = new float[dimensions];
        spike[3] = 1f;
        queries.Add(spike);
        foreach (var query in queries)
        {
            foreach (var k in new[] { 1, 10, 100 })
            {
                // Clustered scores differ by less than float rounding, so the reference is a full scan with the same
                // float kernel: the int8 first pass must never change the result of that scan.
                var expected = FloatReference(vectors, query, k, row => row % 3 != 0 || "u" + (row % 4) == "u1");

                var actual = index.Search(query, k, "u1");

                Assert.Equal(expected.Select(e => e.ChunkId), actual.Select(a => a.ChunkId));
                Assert.Equal(expected.Select(e => e.Score), actual.Select(a => a.Score));
            }
        }
    }

    [Fact]
    public void Quantized_search_orders_exact_ties_by_insertion()
    {
        var vectors = RandomVectors.CreateUnit(VectorIndex.QuantizationMinRows + 100, Dimensions, seed: 21);
        var duplicate = RandomVectors.CreateUnit(1, Dimensions, seed: 22)[0];
        var builder = new VectorIndexBuilder(Dimensions);
        for (var row = 0; row < vectors.Length; row++)
        {
            // Every 200th row is the same vector, so 21 rows tie for the best score.
            builder.Add(row, "u", isPrivate: false, row % 200 == 0 ? duplicate : vectors[row]);
        }

        var hits = builder.Build().Search(duplicate, 15, "u");

        Assert.Equal(Enumerable.Range(0, 15).Select(i => i * 200L), hits.Select(h => h.ChunkId));
    }

    [Fact]
    public void Equal_scores_are_ordered_by_insertion()
    {
        var vector = RandomVectors.CreateUnit(1, Dimensions, seed: 1)[0];
        var builder = new VectorIndexBuilder(Dimensions);
        for (var i = 0; i < 30; i++)
        {
            builder.Add(1000 - i, "u", isPrivate: false, vector);
        }

        var hits = builder.Build().Search(vector, 10, "u");

        Assert.Equal(Enumerable.Range(0, 10).Select(i => 1000L - i), hits.Select(h => h.ChunkId));
    }

    [Theory]
    [InlineData(2_000)]
    [InlineData(20_000)]
    public void Private_rows_of_other_users_are_never_returned(int count)
    {
        var vectors = RandomVectors.CreateUnit(count, Dimensions, seed: 7);
        var owners = new[] { "alice", "bob", "carol" };
        (string Owner, bool IsPrivate) Meta(int row) => (owners[row % 3], row % 2 == 0);
        var index = Build(vectors, Meta);

        foreach (var user in new[] { "alice", "bob", "mallory", "" })
        {
            // Query with other users' private vectors: the closest possible match must still be filtered out.
            var probes = Enumerable.Range(0, count).Where(r => Meta(r).IsPrivate && Meta(r).Owner != user).Take(5);
            foreach (var probe in probes)
            {
                var hits = index.Search(vectors[probe], 50, user);

                Assert.DoesNotContain(hits, h => h.ChunkId == probe);
                Assert.All(hits, h =>
                {
                    var (owner, isPrivate) = Meta((int)h.ChunkId);
                    Assert.True(!isPrivate || owner == user, $"{user} got private chunk {h.ChunkId} of {owner}");
                });
                var expected = Reference(vectors, vectors[probe], 50, row => !Meta(row).IsPrivate || Meta(row).Owner == user);
                AssertSameRanking(expected, hits);
            }
        }
    }

    [Fact]
    public void Owner_sees_own_private_rows()
    {
        var vectors = RandomVectors.CreateUnit(3, Dimensions, seed: 3);
        var builder = new VectorIndexBuilder(Dimensions);
        builder.Add(1, "alice", isPrivate: true, vectors[0]);
        builder.Add(2, "bob", isPrivate: true, vectors[1]);
        builder.Add(3, "bob", isPrivate: false, vectors[2]);
        var index = builder.Build();

        Assert.Equal([1L, 3L], index.Search(vectors[0], 10, "alice").Select(h => h.ChunkId).Order());
        Assert.Equal([2L, 3L], index.Search(vectors[0], 10, "bob").Select(h => h.ChunkId).Order());
        Assert.Equal([3L], index.Search(vectors[0], 10, "ALICE").Select(h => h.ChunkId));
        Assert.Equal(1L, index.Search(vectors[0], 1, "alice")[0].ChunkId);
    }

    [Fact]
    public void Fewer_visible_rows_than_k_returns_all_of_them()
    {
        var vectors = RandomVectors.CreateUnit(5, Dimensions, seed: 5);
        var index = Build(vectors, row => ("owner", row < 3));

        Assert.Equal(2, index.Search(vectors[0], 10, "stranger").Count);
        Assert.Equal(5, index.Search(vectors[0], 10, "owner").Count);
        Assert.Empty(index.Search(vectors[0], 0, "owner"));
        Assert.Empty(VectorIndex.CreateEmpty(Dimensions).Search(vectors[0], 10, "owner"));
    }

    [Fact]
    public void Invalid_queries_are_rejected()
    {
        var index = Build(RandomVectors.CreateUnit(3, Dimensions, seed: 1), _ => ("u", false));
        var nan = new float[Dimensions];
        nan[5] = float.NaN;

        Assert.Throws<ArgumentException>(() => index.Search(new float[Dimensions - 1], 10, "u"));
        Assert.Throws<ArgumentException>(() => index.Search(nan, 10, "u"));
        Assert.Throws<ArgumentOutOfRangeException>(() => index.Search(new float[Dimensions], -1, "u"));
        Assert.Throws<ArgumentNullException>(() => index.Search(new float[Dimensions], 10, null!));
    }

    [Fact]
    public void Builder_normalises_vectors_and_rejects_unusable_ones()
    {
        var builder = new VectorIndexBuilder(3);
        builder.Add(1, "u", isPrivate: false, [3f, 0f, 4f]);

        Assert.Throws<ArgumentException>(() => builder.Add(2, "u", false, [0f, 0f, 0f]));
        Assert.Throws<ArgumentException>(() => builder.Add(2, "u", false, [1f, float.PositiveInfinity, 0f]));
        Assert.Throws<ArgumentException>(() => builder.Add(2, "u", false, [1f, 0f]));

        var index = builder.Build();
        Assert.Equal([0.6f, 0f, 0.8f], index.GetVector(0).ToArray());
        Assert.Equal(1f, index.Search([0.6f, 0f, 0.8f], 1, "x")[0].Score, 1e-6f);
    }

    [Fact]
    public void Row_metadata_and_size_are_exposed()
    {
        var vectors = RandomVectors.CreateUnit(1000, Dimensions, seed: 11);
        var index = Build(vectors, row => (row % 2 == 0 ? "even" : "odd", row % 5 == 0));

        Assert.Equal(1000, index.Count);
        Assert.Equal(Dimensions, index.Dimensions);
        Assert.Equal(42L, index.GetChunkId(42));
        Assert.Equal("even", index.GetOwnerId(42));
        Assert.Equal("odd", index.GetOwnerId(45));
        Assert.True(index.IsPrivate(45));
        Assert.False(index.IsPrivate(42));
        Assert.InRange(index.EstimatedBytes, 1000L * Dimensions * 4, (1000L * Dimensions * 4) + (1000L * 16) + 4096);
        Assert.Throws<ArgumentOutOfRangeException>(() => index.GetChunkId(1000));
    }

    [Fact]
    public void Builder_keeps_working_after_build()
    {
        var vectors = RandomVectors.CreateUnit(40, Dimensions, seed: 4);
        var builder = new VectorIndexBuilder(Dimensions, capacity: 2);
        for (var i = 0; i < 20; i++)
        {
            builder.Add(i, "u", false, vectors[i]);
        }

        var first = builder.Build();
        for (var i = 20; i < 40; i++)
        {
            builder.Add(i, "u", false, vectors[i]);
        }

        Assert.Equal(20, first.Count);
        Assert.Equal(40, builder.Build().Count);
        Assert.Equal(39L, builder.Build().Search(vectors[39], 1, "u")[0].ChunkId);
    }

    [Fact]
    public void Index_built_from_a_full_builder_is_unaffected_by_later_additions()
    {
        var vectors = RandomVectors.CreateUnit(4, Dimensions, seed: 8);
        var builder = new VectorIndexBuilder(Dimensions, capacity: 2);
        builder.Add(0, "u", false, vectors[0]);
        builder.Add(1, "u", false, vectors[1]);
        var index = builder.Build();

        builder.Add(2, "u", false, vectors[2]);
        builder.Add(3, "u", false, vectors[3]);

        Assert.Equal(2, index.Count);
        Assert.Equal(vectors[1], index.GetVector(1).ToArray());
        Assert.Equal([0L, 1L], index.Search(vectors[2], 10, "u").Select(h => h.ChunkId).Order());
    }

    internal static VectorIndex Build(float[][] vectors, Func<int, (string Owner, bool IsPrivate)> meta)
    {
        var builder = new VectorIndexBuilder(vectors.Length == 0 ? Dimensions : vectors[0].Length, vectors.Length);
        for (var row = 0; row < vectors.Length; row++)
        {
            var (owner, isPrivate) = meta(row);
            builder.Add(row, owner, isPrivate, vectors[row]);
        }

        return builder.Build();
    }

    // Plain scalar loop in double precision and a full sort: obviously correct, and independent of the SIMD kernel.
    private static List<(long ChunkId, double Score)> Reference(float[][] vectors, float[] query, int k, Func<int, bool> visible)
    {
        var scored = new List<(long ChunkId, double Score)>();
        for (var row = 0; row < vectors.Length; row++)
        {
            if (visible(row))
            {
                scored.Add((row, Dot(vectors[row], query)));
            }
        }

        return scored.OrderByDescending(s => s.Score).ThenBy(s => s.ChunkId).Take(k).ToList();
    }

    private static List<(long ChunkId, float Score)> FloatReference(float[][] vectors, float[] query, int k, Func<int, bool> visible)
    {
        return Enumerable.Range(0, vectors.Length)
            .Where(visible)
            .Select(row => ((long)row, System.Numerics.Tensors.TensorPrimitives.Dot(query, vectors[row])))
            .OrderByDescending(s => s.Item2)
            .ThenBy(s => s.Item1)
            .Take(k)
            .ToList();
    }

    private static double Dot(float[] a, float[] b)
    {
        double sum = 0;
        for (var i = 0; i < a.Length; i++)
        {
            sum += (double)a[i] * b[i];
        }

        return sum;
    }

    private static void AssertSameRanking(List<(long ChunkId, double Score)> expected, IReadOnlyList<VectorIndexHit> actual)
    {
        // Seeded random data has no near-ties, so float (SIMD) and double (scalar) ranking agree exactly.
        Assert.Equal(expected.Select(e => e.ChunkId), actual.Select(a => a.ChunkId));
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Score, actual[i].Score, 1e-5);
        }
    }
}
