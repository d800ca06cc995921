using TenantRag.Rag.Retrieval;
using TenantRag.Retrieval;

namespace TenantRag.Rag.Tests.Retrieval;

public sealed class LexicalIndexTests
{
    [Fact]
    public void Search_matches_a_reference_bm25_over_random_chunks()
    {
        var random = new Random(7);
        var vocabulary = Enumerable.Range(0, 300).Select(i => "w" + i).ToArray();
        var chunks = Enumerable.Range(0, 2_000).Select(id => RandomChunk(random, vocabulary, id * 3 + 1)).ToList();
        var index = Build(chunks);

        for (var q = 0; q < 20; q++)
        {
            var terms = Enumerable.Range(0, random.Next(1, 6)).Select(_ => vocabulary[(int)Math.Pow(random.NextDouble(), 2) * vocabulary.Length]).ToArray();

            var actual = LexicalIndex.Search([index], terms, 10, "alice");

            Assert.Equal(Reference(chunks, terms, 10), actual.Select(h => h.ChunkId));
        }
    }

    [Fact]
    public void Search_prefers_the_rare_word_and_matches_any_word()
    {
        var index = Build(
        [
            Chunk(1, ("studi", 1f), ("patient", 1f)),
            Chunk(2, ("studi", 1f), ("result", 1f)),
            Chunk(3, ("zebrafish", 1f), ("studi", 1f)),
            Chunk(4, ("glacier", 1f)),
        ]);

        var hits = LexicalIndex.Search([index], ["studi", "zebrafish"], 10, "alice");

        Assert.Equal([3L, 1L, 2L], hits.Select(h => h.ChunkId));
        Assert.True(hits[0].Score > hits[1].Score);
        Assert.Equal(hits[1].Score, hits[2].Score); // equal scores rank by chunk id
    }

    [Fact]
    public void Term_frequency_saturates_and_longer_chunks_score_lower()
    {
        var index = Build(
        [
            Chunk(1, ("heart", 1f)),
            Chunk(2, ("heart", 2f)),
            Chunk(3, ("heart", 4f)),
            Chunk(4, [("heart", 1f)], distinctTerms: 200),
            Chunk(5, ("other", 1f)),
        ]);

        var scores = LexicalIndex.Search([index], ["heart"], 10, "alice").ToDictionary(h => h.ChunkId, h => h.Score);

        Assert.True(scores[2] > scores[1] && scores[3] > scores[2]);
        Assert.True(scores[3] - scores[2] < scores[2] - scores[1]);
        Assert.True(scores[4] < scores[1]);
        Assert.False(scores.ContainsKey(5));
    }

    [Fact]
    public void Partitions_pool_their_statistics_and_private_rows_of_others_are_skipped()
    {
        var shared = Build([Chunk(1, ("zebra", 1f)), Chunk(2, ("lion", 1f)), Chunk(3, ("lion", 1f))]);
        var own = Build([Chunk(10, "alice", isPrivate: true, ("zebra", 1f))]);
        var smuggled = Build([Chunk(20, "bob", isPrivate: true, ("zebra", 5f))]);

        var pooled = LexicalIndex.Search([shared, own], ["zebra"], 10, "alice");
        var alone = LexicalIndex.Search([shared], ["zebra"], 10, "alice");
        var other = LexicalIndex.Search([shared, smuggled], ["zebra"], 10, "alice");

        Assert.Equal([1L, 10L], pooled.Select(h => h.ChunkId));
        Assert.True(pooled[0].Score < alone[0].Score); // zebra is commoner among the four chunks alice sees
        Assert.DoesNotContain(20L, other.Select(h => h.ChunkId));
    }

    [Fact]
    public void Unknown_words_and_empty_indexes_give_no_hits()
    {
        Assert.Empty(LexicalIndex.Search([Build([Chunk(1, ("zebra", 1f))])], ["okapi"], 10, "alice"));
        Assert.Empty(LexicalIndex.Search([LexicalIndex.CreateEmpty()], ["zebra"], 10, "alice"));
        Assert.Empty(LexicalIndex.Search([Build([Chunk(1, ("zebra", 1f))])], [], 10, "alice"));
    }

    [Fact]
    public void Builder_refuses_bad_chunks_and_stays_usable()
    {
        var builder = new LexicalIndexBuilder();
        builder.Add(Chunk(1, ("zebra", 1f)));

        Assert.Throws<ArgumentException>(() => builder.Add(Chunk(2, ("lion", 1f), ("lion", 2f))));
        Assert.Throws<ArgumentException>(() => builder.Add(Chunk(3, ("", 1f))));
        Assert.Throws<ArgumentException>(() => builder.Add(Chunk(4, ("lion", float.NaN))));
        Assert.Throws<ArgumentException>(() => builder.Add(Chunk(5, ("lion", 0f))));
        builder.Add(Chunk(6, ("lion", 1f)));
        var index = builder.Build();

        Assert.Equal(2, index.Count);
        Assert.Equal(1, index.DocumentFrequency("lion"));
        Assert.Equal([6L], LexicalIndex.Search([index], ["lion"], 10, "alice").Select(h => h.ChunkId));

        builder.Add(Chunk(1, ("okapi", 1f)));
        Assert.Throws<InvalidOperationException>(builder.Build);
    }

    private static LexicalIndex Build(IEnumerable<ChunkTerms> chunks)
    {
        var builder = new LexicalIndexBuilder();
        foreach (var chunk in chunks)
        {
            builder.Add(chunk);
        }

        return builder.Build();
    }

    private static ChunkTerms Chunk(long id, params (string, float)[] terms) => Chunk(id, "alice", false, terms);

    private static ChunkTerms Chunk(long id, (string, float)[] terms, int distinctTerms) => new(id, "alice", false, distinctTerms, terms);

    private static ChunkTerms Chunk(long id, string owner, bool isPrivate, params (string, float)[] terms) => new(id, owner, isPrivate, terms.Length, terms);

    private static ChunkTerms RandomChunk(Random random, string[] vocabulary, long id)
    {
        var terms = vocabulary.OrderBy(_ => random.Next()).Take(random.Next(1, 40))
            .Select(t => (t, (float)(random.Next(1, 5) * (random.Next(4) == 0 ? 2.5 : 1)))).ToArray();
        return new ChunkTerms(id, "alice", false, terms.Length + random.Next(0, 30), terms);
    }

    // BM25 written out plainly, in double precision, scoring every chunk.
    private static IEnumerable<long> Reference(List<ChunkTerms> chunks, string[] query, int k)
    {
        var n = (double)chunks.Count;
        var distinct = query.Distinct().ToArray();
        var idf = distinct.ToDictionary(t => t, t =>
        {
            var df = chunks.Count(c => c.Terms.Any(x => x.Term == t));
            return Math.Log(1 + ((n - df + 0.5) / (df + 0.5)));
        });
        return chunks
            .Select(c => (c.ChunkId, Score: (float)distinct.Sum(t => c.Terms.Where(x => x.Term == t)
                .Sum(x => idf[t] * x.Frequency * 1.9 / (x.Frequency + (0.9 * (0.7 + (0.3 * c.DistinctTerms / 64.0))))))))
            .Where(c => c.Score > 0)
            .OrderByDescending(c => c.Score).ThenBy(c => c.ChunkId)
            .Take(k)
            .Select(c => c.ChunkId);
    }
}
