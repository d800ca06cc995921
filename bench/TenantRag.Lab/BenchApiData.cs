using System.Text.Json;
using TenantRag.Rag.Retrieval.Search;

namespace TenantRag.Lab;

/// <summary>
/// The texts of <c>tenantrag bench api</c>: small documents for the tenants' corpora and for the bulk uploader, and
/// queries. From a BEIR directory (SciFact) when there is one, otherwise generated from a fixed vocabulary.
/// </summary>
internal sealed class BenchApiData
{
    /// <summary>Where SciFact sits relative to the repository root (the usual working directory).</summary>
    public const string DefaultDirectory = "../shared/eval/scifact";

    // At most this many corpus lines are read: enough for 50 tenants x 20 documents plus the bulk uploader.
    private const int MaxCorpusLines = 20_000;

    private static readonly string[] Vocabulary =
    [
        "protein", "cell", "gene", "expression", "tumor", "immune", "response", "receptor", "signal", "pathway",
        "mouse", "human", "patient", "clinical", "trial", "risk", "disease", "infection", "virus", "bacteria",
        "vaccine", "dose", "therapy", "drug", "inhibitor", "cancer", "blood", "pressure", "heart", "brain",
        "neuron", "memory", "sleep", "diet", "obesity", "insulin", "glucose", "liver", "kidney", "lung",
        "bone", "muscle", "stem", "tissue", "mutation", "variant", "genome", "sequence", "rna", "dna",
        "enzyme", "metabolism", "oxygen", "mitochondria", "stress", "inflammation", "antibody", "t-cell", "macrophage", "cytokine",
        "age", "children", "women", "men", "population", "cohort", "study", "analysis", "model", "effect",
        "increase", "decrease", "reduce", "improve", "associated", "higher", "lower", "levels", "rate", "mortality",
        "survival", "outcome", "treatment", "surgery", "screening", "diagnosis", "marker", "imaging", "vitamin", "calcium",
        "iron", "zinc", "hormone", "estrogen", "testosterone", "cortisol", "dopamine", "serotonin", "receptor", "binding",
    ];

    private BenchApiData(string source, IReadOnlyList<BenchApiDocument> corpus, IReadOnlyList<string> queries, IReadOnlyList<string> distinctQueries)
    {
        Source = source;
        Corpus = corpus;
        Queries = queries;
        DistinctQueries = distinctQueries;
    }

    /// <summary>Where the texts came from: the directory, or "generated".</summary>
    public string Source { get; }

    /// <summary>Documents: the tenants' corpora first, the rest for the bulk uploader.</summary>
    public IReadOnlyList<BenchApiDocument> Corpus { get; }

    /// <summary>Queries drawn at random (so they repeat) in the throughput and noisy-neighbour phases.</summary>
    public IReadOnlyList<string> Queries { get; }

    /// <summary>Further texts, none equal to a query above nor to each other, each sent once in the distinct-query phase.</summary>
    public IReadOnlyList<string> DistinctQueries { get; }

    /// <summary>
    /// Loads <paramref name="directory"/> (explicit: it must exist), or the default SciFact directory when present, or
    /// generates texts.
    /// </summary>
    public static async Task<BenchApiData> LoadAsync(string? directory, int seed, CancellationToken cancellationToken)
    {
        if (directory is not null && !File.Exists(Path.Combine(directory, "corpus.jsonl")))
        {
            throw new UsageException($"--data {directory} has no corpus.jsonl: point it at a BEIR-format directory (e.g. {DefaultDirectory}), or leave it out to use generated text");
        }

        directory ??= File.Exists(Path.Combine(DefaultDirectory, "corpus.jsonl")) ? DefaultDirectory : null;
        if (directory is null)
        {
            return Generate(seed);
        }

        var corpus = new List<BenchApiDocument>();
        await foreach (var (id, title, text) in ReadLinesAsync(Path.Combine(directory, "corpus.jsonl"), cancellationToken).ConfigureAwait(false))
        {
            if (text.Length > 0 && corpus.Count < MaxCorpusLines)
            {
                corpus.Add(new BenchApiDocument(id, title.Length > 0 ? title : id, text));
            }
        }

        // Test queries are the repeated pool; train queries, corpus titles and the first sentences of abstracts are the
        // texts sent once each (about 11,000 for SciFact: enough for 20 s at 500 new queries a second).
        var queries = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in new[] { "queries.jsonl" })
        {
            await AddQueriesAsync(Path.Combine(directory, file), queries, seen, cancellationToken).ConfigureAwait(false);
        }

        var distinct = new List<string>();
        await AddQueriesAsync(Path.Combine(directory, "queries_train.jsonl"), distinct, seen, cancellationToken).ConfigureAwait(false);
        foreach (var document in corpus)
        {
            if (document.Title.Length is > 10 and <= 300 && Searchable(document.Title) && seen.Add(document.Title))
            {
                distinct.Add(document.Title);
            }
        }

        foreach (var document in corpus)
        {
            var end = document.Text.IndexOf(". ", StringComparison.Ordinal);
            var sentence = end > 0 ? document.Text[..(end + 1)] : string.Empty;
            if (sentence.Length is > 20 and <= 300 && Searchable(sentence) && seen.Add(sentence))
            {
                distinct.Add(sentence);
            }
        }

        if (corpus.Count == 0 || queries.Count == 0)
        {
            throw new UsageException($"--data {directory} has no usable documents or queries (corpus.jsonl and queries.jsonl with _id, title, text)");
        }

        Shuffle(distinct, new Random(seed));
        return new BenchApiData(Path.GetFullPath(directory), corpus, queries, distinct);
    }

    /// <summary>Whether the API accepts <paramref name="text"/> as a query (the bench measures searches, not rejections).</summary>
    private static bool Searchable(string text)
    {
        try
        {
            return SearchLimits.ValidateQuery(text) == text;
        }
        catch (UsageException)
        {
            return false;
        }
    }

    private static async Task AddQueriesAsync(string path, List<string> into, HashSet<string> seen, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            return;
        }

        await foreach (var (_, _, text) in ReadLinesAsync(path, cancellationToken).ConfigureAwait(false))
        {
            if (text.Length is > 0 and <= 1000 && Searchable(text) && seen.Add(text))
            {
                into.Add(text);
            }
        }
    }

    private static async IAsyncEnumerable<(string Id, string Title, string Text)> ReadLinesAsync(string path,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var lineNumber = 0;
        await foreach (var line in File.ReadLinesAsync(path, cancellationToken).ConfigureAwait(false))
        {
            if (++lineNumber > MaxCorpusLines)
            {
                yield break;
            }

            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            string id, title, text;
            try
            {
                using var json = JsonDocument.Parse(line);
                var root = json.RootElement;
                id = Text(root, "_id");
                title = Text(root, "title");
                text = Text(root, "text");
            }
            catch (JsonException)
            {
                continue;
            }

            if (id.Length > 0)
            {
                yield return (id, Clean(title), Clean(text));
            }
        }
    }

    private static string Text(JsonElement root, string name) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var value)
            ? value.ValueKind switch
            {
                JsonValueKind.String => value.GetString() ?? string.Empty,
                JsonValueKind.Number => value.GetRawText(),
                _ => string.Empty,
            }
            : string.Empty;

    // Queries and documents must not carry control characters (the API refuses them in queries).
    private static string Clean(string text) => string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)).Trim();

    private static BenchApiData Generate(int seed)
    {
        var random = new Random(seed);
        var corpus = new List<BenchApiDocument>(6000);
        for (var i = 0; i < 6000; i++)
        {
            var title = Sentence(random, 6, 10);
            var text = string.Join(' ', Enumerable.Range(0, random.Next(4, 9)).Select(_ => Sentence(random, 10, 20) + "."));
            corpus.Add(new BenchApiDocument($"g{i}", title, text));
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var queries = new List<string>();
        while (queries.Count < 300)
        {
            var query = Sentence(random, 4, 9);
            if (seen.Add(query))
            {
                queries.Add(query);
            }
        }

        var distinct = new List<string>();
        while (distinct.Count < 10_000)
        {
            var query = Sentence(random, 4, 9);
            if (seen.Add(query))
            {
                distinct.Add(query);
            }
        }

        return new BenchApiData("generated", corpus, queries, distinct);
    }

    private static string Sentence(Random random, int minWords, int maxWords) =>
        string.Join(' ', Enumerable.Range(0, random.Next(minWords, maxWords + 1)).Select(_ => Vocabulary[random.Next(Vocabulary.Length)]));

    private static void Shuffle<T>(List<T> items, Random random)
    {
        for (var i = items.Count - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}

/// <summary>A small document: its corpus id, title and text.</summary>
internal sealed record BenchApiDocument(string Id, string Title, string Text);
