using System.Text;
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

    [Theory]
    [InlineData(3_000)] // rows written as 16-bit numbers
    [InlineData(70_000)] // more rows than 16 bits number: written as 32-bit numbers
    public void LexicalIndex_FromSnapshot_FrequenciesFromATable_SearchesExactlyAsTheOriginal(int rows)
    {
        // Term frequencies as the database gives them: counts times a few weights, so the snapshot writes them as a table.
        var random = new Random(rows);
        var vocabulary = Enumerable.Range(0, 2_000).Select(i => i % 3 == 0 ? "wörd" + i : "w" + i).ToArray();
        var builder = new LexicalIndexBuilder();
        for (var id = 0; id < rows; id++)
        {
            var terms = Enumerable.Range(0, random.Next(1, 12)).Select(_ => vocabulary[(int)(Math.Pow(random.NextDouble(), 2) * vocabulary.Length)])
                .Distinct().Select(t => (t, random.Next(1, 6) * (random.Next(2) == 0 ? 1f : 0.4f))).ToList();
            builder.Add(new ChunkTerms(id, "alice", false, terms.Count, terms));
        }

        var original = builder.Build();
        var snapshot = original.ToSnapshot();

        var copy = LexicalIndex.FromSnapshot(snapshot);

        Assert.Equal(original.Count, copy.Count);
        foreach (var term in vocabulary)
        {
            Assert.Equal(original.DocumentFrequency(term), copy.DocumentFrequency(term));
        }

        // Narrowed: per posting a row of 2 bytes (4 past 65,536 rows) and a byte of frequency, instead of 4 + 4 bytes.
        var postings = vocabulary.Sum(original.DocumentFrequency);
        var perRow = sizeof(long) + sizeof(int) + sizeof(float);
        var perTerm = (2 * sizeof(int)) + vocabulary.Max(t => Encoding.UTF8.GetByteCount(t));
        var most = ((rows > 65_536 ? 4 : 2) + 1L) * postings + (perRow * (long)rows) + (perTerm * vocabulary.Length) + 1_024 + 8;
        Assert.InRange(snapshot.Length, 1, most);

        Assert.Equal(0, copy.DocumentFrequency("absent"));
        for (var q = 0; q < 50; q++)
        {
            var query = Enumerable.Range(0, random.Next(1, 6)).Select(_ => vocabulary[random.Next(vocabulary.Length)]).ToArray();
            Assert.Equal(LexicalIndex.Search([original], query, 20, "alice"), LexicalIndex.Search([copy], query, 20, "alice"));
        }
    }

    [Fact]
    public void LexicalIndex_FromSnapshot_InconsistentButCorrectlyHashed_ThrowsInvalidData()
    {
        // Two rows, terms "a" and "b": each field's place is known, so one value can be broken and the hash made right
        // again. The reader must check the structure itself, not trust the hash.
        var builder = new LexicalIndexBuilder();
        builder.Add(new ChunkTerms(1, "alice", false, 2, [("a", 1f), ("b", 2f)]));
        builder.Add(new ChunkTerms(2, "alice", false, 1, [("b", 1f)]));
        var snapshot = builder.Build().ToSnapshot();
        var payload = SnapshotWriter.HeaderSize;
        var terms = payload + 4 + 16 + 4 + 8 + 8; // count, chunk ids, owners (none), owner of each row, length norms
        var termBytes = terms + 4 + 12; // term count, 3 offsets: "a" then "b"
        var postingStarts = termBytes + 2;
        var rows = postingStarts + 12 + 4; // 3 offsets, row width: 3 postings of 2 bytes
        var table = rows + 6; // table size, 2 values, then a byte per posting
        Assert.Equal(snapshot.Length, table + 4 + 8 + 3);
        LexicalIndex.FromSnapshot(snapshot);

        foreach (var (at, value, what) in new (int At, byte Value, string What)[]
        {
            (termBytes, (byte)'c', "terms out of order"),
            (termBytes, (byte)'b', "a repeated term"),
            (terms + 4 + 4, 0, "an empty term"),
            (terms + 4 + 4, 3, "term offsets going backwards"),
            (terms + 4 + 8, 9, "term offsets past the fields that follow"),
            (postingStarts + 4, 4, "postings going backwards"),
            (rows, 2, "a row that does not exist"),
            (rows + 5, 0x80, "a row that does not exist"),
            (rows - 4, 3, "a row width that is neither 2 nor 4"),
            (table + 4 + 8, 2, "a frequency not in the table"),
            (table + 4 + 3, 0xBF, "a negative frequency"),
        })
        {
            var broken = snapshot.ToArray();
            broken[at] = value;
            System.IO.Hashing.XxHash128.Hash(broken.AsSpan(payload), broken.AsSpan(16, SnapshotWriter.HashSize));
            var ex = Record.Exception(() => LexicalIndex.FromSnapshot(broken));
            Assert.True(ex is InvalidDataException, $"{what} (byte {at} = {value}): {ex?.GetType().Name ?? "read without error"}");
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
    public void VectorIndex_FromSnapshot_HoldsTheInt8CopyAloneAndScoresItsRowsExactly()
    {
        var vectors = RandomVectors.CreateUnit(VectorIndex.QuantizationMinRows + 100, Dimensions, seed: 12);
        var builder = new VectorIndexBuilder(Dimensions, vectors.Length);
        for (var i = 0; i < vectors.Length; i++)
        {
            builder.Add(i + 1, "alice", isPrivate: false, vectors[i]);
        }

        var original = builder.Build();
        var copy = VectorIndex.FromSnapshot(original.ToSnapshot(), Dimensions);

        // No float copy of the vectors: about a fifth of the memory of the index it was written from.
        Assert.InRange(copy.EstimatedBytes, 1, original.EstimatedBytes / 4);

        // Each hit's score is exactly the dot product with its row as the copy gives it (int8 levels times their scale),
        // and no row scores higher than the last hit: the search is exact over the rows it holds.
        var query = RandomVectors.CreateUnit(new Random(4), Dimensions);
        var hits = copy.Search(query, 10, "alice");
        var scores = Enumerable.Range(0, copy.Count).Select(row => System.Numerics.Tensors.TensorPrimitives.Dot(query, copy.GetVector(row))).ToArray();
        Assert.Equal(10, hits.Count);
        Assert.All(hits, hit => Assert.Equal(scores[hit.ChunkId - 1], hit.Score));
        Assert.Equal(scores.OrderDescending().Take(10), hits.Select(h => h.Score));
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
