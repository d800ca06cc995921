namespace TenantRag.Rag.Tests.Ingestion;

/// <summary>Deterministic prose: numbered sentences of varying length grouped into paragraphs.</summary>
internal static class SyntheticText
{
    private static readonly string[] Vocabulary =
    [
        "tenant", "index", "vector", "query", "latency", "cluster", "shard", "embedding", "document", "chunk",
        "retrieval", "ranking", "storage", "replica", "policy", "schema", "cache", "token", "model", "batch",
    ];

    /// <summary>Builds paragraphs; returns the text and every sentence in order.</summary>
    public static (string Text, IReadOnlyList<string> Sentences) Paragraphs(
        int paragraphs, int minSentences, int maxSentences, int minWords, int maxWords, int seed = 7)
    {
        var random = new Random(seed);
        var sentences = new List<string>();
        var paragraphTexts = new List<string>();
        for (var p = 0; p < paragraphs; p++)
        {
            var count = random.Next(minSentences, maxSentences + 1);
            var inParagraph = new List<string>();
            for (var s = 0; s < count; s++)
            {
                var words = random.Next(minWords, maxWords + 1);
                var sentence = $"Sentence {sentences.Count} covers " +
                    string.Join(' ', Enumerable.Range(0, words).Select(_ => Vocabulary[random.Next(Vocabulary.Length)])) +
                    (random.Next(4) == 0 ? ", with a comma clause" : string.Empty) + ".";
                sentences.Add(sentence);
                inParagraph.Add(sentence);
            }

            paragraphTexts.Add(string.Join(' ', inParagraph));
        }

        return (string.Join("\n\n", paragraphTexts), sentences);
    }
}
