using TenantRag.Retrieval;

namespace TenantRag.Rag.Retrieval;

/// <summary>
/// Runs, on a small made-up index, the code a cold tenant's first search runs: building both indexes, writing their
/// snapshots, decoding them and searching the decoded ones. .NET compiles a method the first time it runs, so without
/// this the first cold tenant a fresh process serves from its snapshots pays tens of milliseconds of compiling on top
/// of its load. A host calls it once after it starts (the server does, in the background); it touches no database.
/// </summary>
public static class RetrievalWarmUp
{
    /// <summary>The dimensions of the bundled model's vectors, the default.</summary>
    public const int DefaultDimensions = 384;

    private const int Rows = 300;
    private const string Owner = "warm-up";

    /// <summary>
    /// Builds, encodes, decodes and searches a full-text and a vector index of a few hundred rows, and checks that the
    /// decoded full-text index answers exactly as the built one and that both vector indexes rank the query's own row
    /// first (the vectors are stored in int8, so near-equal scores of other rows may swap).
    /// </summary>
    /// <param name="dimensions">The vectors' dimensions: those of the model the host serves.</param>
    /// <returns>How many hits the decoded indexes returned (both searches together).</returns>
    /// <exception cref="InvalidOperationException">A decoded index answered otherwise.</exception>
    public static int Run(int dimensions = DefaultDimensions)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 1);
        var lexicalBuilder = new LexicalIndexBuilder();
        var vectorBuilder = new VectorIndexBuilder(dimensions, Rows);
        var random = new Random(Rows);
        var vector = new float[dimensions];
        for (var row = 1; row <= Rows; row++)
        {
            lexicalBuilder.Add(new ChunkTerms(row, Owner, row % 10 == 0, 3, [("warm", 1f), ($"term{row % 37}", 1f + (row % 3)), ($"word{row % 11}", 2f)]));
            for (var d = 0; d < dimensions; d++)
            {
                vector[d] = (float)(random.NextDouble() - 0.5);
            }

            vectorBuilder.Add(row, Owner, row % 10 == 0, vector);
        }

        var lexical = lexicalBuilder.Build();
        var vectors = vectorBuilder.Build();
        var decodedLexical = LexicalIndex.FromSnapshot(lexical.ToSnapshot());
        var decodedVectors = VectorIndex.FromSnapshot(vectors.ToSnapshot(), dimensions);

        string[] terms = ["warm", "term5", "word3"];
        var lexicalHits = LexicalIndex.Search([decodedLexical], terms, 10, Owner);
        var vectorHits = decodedVectors.Search(vector, 10, Owner);
        if (!lexicalHits.Select(h => h.ChunkId).SequenceEqual(LexicalIndex.Search([lexical], terms, 10, Owner).Select(h => h.ChunkId))
            || vectorHits.Count == 0 || vectorHits[0].ChunkId != Rows || vectors.Search(vector, 1, Owner)[0].ChunkId != Rows)
        {
            throw new InvalidOperationException("A decoded index snapshot answered differently from the index it was written from.");
        }

        return lexicalHits.Count + vectorHits.Count;
    }
}
