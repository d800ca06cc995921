using System.Text.Json;

namespace TenantRag.Rag.Evaluation;

/// <summary>
/// Loads a question set: how-to questions over a directory of HTML pages (a manual), each with the page and section
/// that answer it and a key fact the answer must state. The set is a directory holding <see cref="QuestionsFile"/> (one
/// JSON object a line: <c>_id</c>, <c>text</c>, <c>page</c>, optionally <c>alsoPages</c>, <c>section</c>, <c>keyFacts</c>,
/// <c>split</c>) and
/// optionally <see cref="ExcludeFile"/> (pages of the manual that are not part of the corpus, one path a line). The
/// corpus is every <c>.html</c> page below the pages directory but those, document id = its path below it. A question
/// may name <c>alsoPages</c>, other pages that answer it as well: its page is judged 2, those 1. Everything
/// is checked before anything is ingested: a problem is an <see cref="EvaluationDataException"/> naming the file and line.
/// </summary>
public static class QuestionSetLoader
{
    /// <summary>The questions of a set.</summary>
    public const string QuestionsFile = "questions.jsonl";

    /// <summary>Pages below the pages directory that are left out of the corpus (paths, <c>#</c> comments).</summary>
    public const string ExcludeFile = "exclude.txt";

    private const string PageExtension = ".html";

    /// <summary>Whether <paramref name="directory"/> holds a question set (rather than a BEIR-format set).</summary>
    public static bool IsQuestionSet(string directory) => File.Exists(Path.Combine(directory, QuestionsFile));

    /// <summary>Loads the set in <paramref name="directory"/> over the pages in <paramref name="pagesDirectory"/>, keeping the questions of <paramref name="split"/>.</summary>
    public static async Task<BeirDataset> LoadAsync(string directory, string? pagesDirectory, BeirSplit split, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var questionsPath = Path.Combine(directory, QuestionsFile);
        if (!File.Exists(questionsPath))
        {
            throw new EvaluationDataException($"'{questionsPath}' is missing: a question set is a directory with {QuestionsFile}");
        }

        if (string.IsNullOrWhiteSpace(pagesDirectory))
        {
            throw new EvaluationDataException(
                $"{directory} is a question set over HTML pages: give --pages <directory of the pages> (its README.md says where they come from)");
        }

        if (!Directory.Exists(pagesDirectory))
        {
            throw new EvaluationDataException(
                $"--pages directory '{pagesDirectory}' does not exist: point it at the HTML pages the questions of {directory} are about (its README.md says where they come from)");
        }

        var excluded = await ReadExcludedAsync(Path.Combine(directory, ExcludeFile), cancellationToken).ConfigureAwait(false);
        var pages = Pages(pagesDirectory, excluded);
        if (pages.Count == 0)
        {
            throw new EvaluationDataException($"--pages directory '{pagesDirectory}' has no {PageExtension} pages (after {ExcludeFile}): point it at the pages of the manual");
        }

        var pageIds = pages.ToHashSet(StringComparer.Ordinal);
        var queries = new List<BeirQuery>();
        var keys = new Dictionary<string, AnswerKey>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var (number, line) in BeirDatasetLoader.ReadLinesAsync(questionsPath, cancellationToken).ConfigureAwait(false))
        {
            using var json = BeirDatasetLoader.ParseObject(questionsPath, number, line);
            var (query, key, questionSplit) = ReadQuestion(questionsPath, number, json.RootElement, pageIds, pagesDirectory);
            if (!seen.Add(query.Id))
            {
                throw EvaluationDataException.AtLine(questionsPath, number, $"duplicate _id '{query.Id}'");
            }

            if (questionSplit == split)
            {
                queries.Add(query);
                keys[query.Id] = key;
            }
        }

        if (queries.Count == 0)
        {
            throw new EvaluationDataException($"{QuestionsFile} has no questions of the {split.ToName()} split (in {questionsPath})");
        }

        return new BeirDataset
        {
            Directory = directory,
            Split = split,
            Corpus = [.. pages.Select(id => new BeirDocument { Id = id, Title = string.Empty, Text = string.Empty })],
            Queries = queries,
            Qrels = keys.ToDictionary(k => k.Key, k => Judgements(k.Value), StringComparer.Ordinal),
            PagesDirectory = Path.GetFullPath(pagesDirectory),
            AnswerKeys = keys,
        };
    }

    /// <summary>The page that answers a question is judged 2, the other pages that answer it 1 (graded nDCG).</summary>
    private static IReadOnlyDictionary<string, int> Judgements(AnswerKey key)
    {
        var judged = key.AlsoPages.ToDictionary(p => p, _ => 1, StringComparer.Ordinal);
        judged[key.Page] = 2;
        return judged;
    }

    private static (BeirQuery Query, AnswerKey Key, BeirSplit Split) ReadQuestion(string path, int number, JsonElement root, HashSet<string> pages, string pagesDirectory)
    {
        var id = BeirDatasetLoader.ReadId(path, number, root);
        var text = Required(path, number, root, "text", id);
        var page = Required(path, number, root, "page", id);
        CheckPage(path, number, id, page, pages, pagesDirectory);
        var alsoPages = new List<string>();
        if (root.TryGetProperty("alsoPages", out var also))
        {
            if (also.ValueKind != JsonValueKind.Array || also.EnumerateArray().Any(p => p.ValueKind != JsonValueKind.String))
            {
                throw EvaluationDataException.AtLine(path, number, $"question '{id}': \"alsoPages\" must be an array of pages");
            }

            foreach (var other in also.EnumerateArray().Select(p => p.GetString()!.Trim()))
            {
                CheckPage(path, number, id, other, pages, pagesDirectory);
                if (other == page || alsoPages.Contains(other))
                {
                    throw EvaluationDataException.AtLine(path, number, $"question '{id}' names page '{other}' twice");
                }

                alsoPages.Add(other);
            }
        }

        var section = Required(path, number, root, "section", id);
        if (!root.TryGetProperty("keyFacts", out var facts) || facts.ValueKind != JsonValueKind.Array || facts.GetArrayLength() == 0)
        {
            throw EvaluationDataException.AtLine(path, number, $"question '{id}' needs \"keyFacts\": an array of one or more phrasings of the fact its answer must state");
        }

        var keyFacts = new List<string>();
        foreach (var fact in facts.EnumerateArray())
        {
            if (fact.ValueKind != JsonValueKind.String || KeyFacts.Normalise(fact.GetString()!).Length == 0)
            {
                throw EvaluationDataException.AtLine(path, number, $"question '{id}': every key fact must be a non-blank string");
            }

            keyFacts.Add(fact.GetString()!);
        }

        var split = Required(path, number, root, "split", id) switch
        {
            "train" => BeirSplit.Train,
            "test" => BeirSplit.Test,
            var other => throw EvaluationDataException.AtLine(path, number, $"question '{id}': split '{other}' is neither train nor test"),
        };
        return (new BeirQuery { Id = id, Text = text }, new AnswerKey { Page = page, AlsoPages = alsoPages, Section = section, KeyFacts = keyFacts }, split);
    }

    private static void CheckPage(string path, int number, string id, string page, HashSet<string> pages, string pagesDirectory)
    {
        if (!pages.Contains(page))
        {
            var why = page.Contains('\\', StringComparison.Ordinal) || page.StartsWith('/') || page.Split('/').Contains("..")
                ? "is not a path below the pages directory (write it relative, with / separators)"
                : $"is not a page of the corpus (no such {PageExtension} file in '{pagesDirectory}', or it is in {ExcludeFile})";
            throw EvaluationDataException.AtLine(path, number, $"question '{id}': page '{page}' {why}");
        }
    }

    private static string Required(string path, int number, JsonElement root, string name, string id)
    {
        var value = BeirDatasetLoader.ReadString(path, number, root, name, required: true).Trim();
        return value.Length > 0 ? value : throw EvaluationDataException.AtLine(path, number, $"question '{id}' has an empty \"{name}\"");
    }

    private static async Task<HashSet<string>> ReadExcludedAsync(string path, CancellationToken cancellationToken)
    {
        var excluded = new HashSet<string>(StringComparer.Ordinal);
        if (!File.Exists(path))
        {
            return excluded;
        }

        await foreach (var (_, line) in BeirDatasetLoader.ReadLinesAsync(path, cancellationToken).ConfigureAwait(false))
        {
            var entry = line.Trim();
            if (entry.Length > 0 && !entry.StartsWith('#'))
            {
                excluded.Add(entry);
            }
        }

        return excluded;
    }

    /// <summary>The ids of the corpus pages: every .html file below the directory (hidden ones and links skipped), ordinal order.</summary>
    private static List<string> Pages(string directory, HashSet<string> excluded)
    {
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            AttributesToSkip = FileAttributes.Hidden | FileAttributes.System | FileAttributes.ReparsePoint,
            MatchCasing = MatchCasing.CaseSensitive,
        };
        return
        [
            .. Directory.EnumerateFiles(directory, "*" + PageExtension, options)
                .Select(file => Path.GetRelativePath(directory, file).Replace(Path.DirectorySeparatorChar, '/'))
                .Where(id => !excluded.Contains(id) && !id.Split('/').Any(part => part.StartsWith('.')))
                .Order(StringComparer.Ordinal),
        ];
    }
}
