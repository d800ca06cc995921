using TenantRag.Rag.Retrieval;
using TenantRag.Retrieval;

namespace TenantRag.Rag.Tests.Retrieval;

/// <summary>
/// What a persisted index snapshot reads back as: the same full-text index, a vector index that ranks as the original
/// (int8 vectors, scores within the quantization error), and, for any damaged bytes, an <see cref="InvalidDataException"/>
/// (the caller then loads from the chunks) rather than a wrong index or another exception.
/// </summary>
public sealed class IndexSnapshotCodecTests
{
    private const int Dimensions = 384;

    [Fact]
    public void LexicalIndex_FromSnapshot_SearchesExactlyAsTheOriginal()
    {
        var random = new Random(11);
        var vocabulary = Enumerable.Range(0, 500).Select(i => "w" + i).ToArray();
        var builder = new LexicalIndexBuilder();
        for (var id = 0; id < 3_000; id++)
        {
            var terms = Enumerable.Range(0, random.Next(1, 40)).Select(_ => vocabulary[(int)(Math.Pow(random.NextDouble(), 2) * vocabulary.Length)])
                .Distinct().Select(t => (t, 0.25f + (float)random.NextDouble() * 3)).ToList();
            builder.Add(new ChunkTerms(id * 7L + 3, id % 5 == 0 ? "alice" : "bob", id % 11 == 0, terms.Count, terms));
        }

        var original = builder.Build();

        var copy = LexicalIndex.FromSnapshot(original.ToSnapshot());

        Assert.Equal(original.Count, copy.Count);
        Assert.True(copy.HasPrivateRows);
        for (var q = 0; q < 50; q++)
        {
            var query = Enumerable.Range(0, random.Next(1, 6)).Select(_ => vocabulary[random.Next(vocabulary.Length)]).ToArray();
            foreach (var user in new[] { "alice", "bob", "carol" })
            {
                Assert.Equal(LexicalIndex.Search([original], query, 20, user), LexicalIndex.Search([copy], query, 20, user));
            }
        }
    }

    [Fact]
    public void VectorIndex_FromSnapshot_RanksAsTheOriginalWithinTheQuantizationError()
    {
        var vectors = RandomVectors.CreateUnit(VectorIndex.QuantizationMinRows + 500, Dimensions, seed: 5);
        var builder = new VectorIndexBuilder(Dimensions, vectors.Length);
        for (var i = 0; i < vectors.Length; i++)
        {
            builder.Add(i * 3L + 1, i % 3 == 0 ? "alice" : "bob", isPrivate: false, vectors[i]);
        }

        var original = builder.Build();

        var snapshot = original.ToSnapshot();
        var copy = VectorIndex.FromSnapshot(snapshot, Dimensions);

        // A quarter of the float bytes, and nothing private.
        Assert.InRange(snapshot.Length, vectors.Length * Dimensions, vectors.Length * (Dimensions + 32) + 1024);
        Assert.False(copy.HasPrivateRows);
        Assert.Equal(original.Count, copy.Count);
        var random = new Random(9);
        var overlap = 0;
        for (var q = 0; q < 40; q++)
        {
            // Queries near a stored vector, as real queries are near their answers.
            var target = vectors[random.Next(vectors.Length)];
            var noise = RandomVectors.CreateUnit(random, Dimensions);
            var query = target.Zip(noise, (t, n) => t + 0.6f * n).ToArray();
            var norm = MathF.Sqrt(query.Sum(v => v * v));
            query = [.. query.Select(v => v / norm)];

            var expected = original.Search(query, 10, "alice");
            var actual = copy.Search(query, 10, "alice");

            Assert.Equal(expected[0].ChunkId, actual[0].ChunkId);
            foreach (var hit in actual)
            {
                var row = (int)((hit.ChunkId - 1) / 3);
                var exact = vectors[row].Zip(query, (a, b) => a * b).Sum();
                Assert.InRange(hit.Score, exact - 0.01f, exact + 0.01f);
            }

            overlap += expected.Select(h => h.ChunkId).Intersect(actual.Select(h => h.ChunkId)).Count();
        }

        // Random vectors crowd their scores together far more than embeddings do; even so nearly every hit is the same.
        Assert.True(overlap >= 40 * 10 * 0.9, $"{overlap} of 400 hits in common");
    }

    [Fact]
    public void VectorIndex_SmallIndex_RoundTripsWithItsOwnersAndVisibility()
    {
        var builder = new VectorIndexBuilder(Dimensions);
        var vectors = RandomVectors.CreateUnit(20, Dimensions, seed: 3);
        for (var i = 0; i < vectors.Length; i++)
        {
            builder.Add(100 + i, i % 2 == 0 ? "alice" : "bob", isPrivate: i % 4 == 1, vectors[i]);
        }

        var original = builder.Build();

        var copy = VectorIndex.FromSnapshot(original.ToSnapshot(), Dimensions);

        Assert.True(copy.HasPrivateRows);
        for (var row = 0; row < original.Count; row++)
        {
            Assert.Equal(original.GetChunkId(row), copy.GetChunkId(row));
            Assert.Equal(original.GetOwnerId(row), copy.GetOwnerId(row));
            Assert.Equal(original.IsPrivate(row), copy.IsPrivate(row));
        }

        Assert.Equal(original.Search(vectors[5], 3, "carol").Select(h => h.ChunkId), copy.Search(vectors[5], 3, "carol").Select(h => h.ChunkId));
    }

    [Fact]
    public void FromSnapshot_DamagedBytes_ThrowInvalidData()
    {
        var vectorBuilder = new VectorIndexBuilder(Dimensions);
        foreach (var (unit, i) in RandomVectors.CreateUnit(30, Dimensions, seed: 4).Select((v, i) => (v, i)))
        {
            vectorBuilder.Add(i, "alice", isPrivate: false, unit);
        }

        var lexicalBuilder = new LexicalIndexBuilder();
        for (var id = 0; id < 30; id++)
        {
            lexicalBuilder.Add(new ChunkTerms(id, "alice", false, 2, [("t" + id, 1f), ("common", 2f)]));
        }

        var vector = vectorBuilder.Build().ToSnapshot();
        var lexical = lexicalBuilder.Build().ToSnapshot();
        var random = new Random(1);

        foreach (var (snapshot, read) in new (byte[], Action<byte[]>)[]
        {
            (vector, b => VectorIndex.FromSnapshot(b, Dimensions)),
            (lexical, b => LexicalIndex.FromSnapshot(b)),
        })
        {
            read(snapshot);
            foreach (var length in new[] { 0, 3, 10, 47, 48, snapshot.Length / 2, snapshot.Length - 1 })
            {
                Assert.Throws<InvalidDataException>(() => read(snapshot[..length]));
            }

            Assert.Throws<InvalidDataException>(() => read([.. snapshot, 0]));
            for (var i = 0; i < 200; i++)
            {
                var damaged = snapshot.ToArray();
                damaged[random.Next(damaged.Length)] ^= (byte)(1 << random.Next(8));
                Assert.Throws<InvalidDataException>(() => read(damaged));
            }
        }

        // Another kind, or another model's dimensions, is not read either.
        Assert.Throws<InvalidDataException>(() => LexicalIndex.FromSnapshot(vector));
        Assert.Throws<InvalidDataException>(() => VectorIndex.FromSnapshot(vector, Dimensions + 1));
    }
}
