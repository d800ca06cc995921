using TenantRag.Rag.Evaluation;
using TenantRag.Rag.Ingestion.Extraction;
using TenantRag.Testing;

namespace TenantRag.Rag.Tests.Evaluation;

/// <summary>
/// The committed question set (eval/cargo-book) against the installed Cargo Book: every question's page is in the
/// corpus, its section is on the page, and every phrasing of its key fact is in that section's text as our HTML
/// extractor reads it (case and whitespace aside), so an answer quoting the page can state it. Skipped without the book.
/// </summary>
public sealed class CargoBookSetTests
{
    [Fact]
    public async Task EveryKeyFact_IsInItsSectionOfTheInstalledBook()
    {
        var book = RequireBook();
        var keys = await AllAnswerKeysAsync(book);
        var extractor = new HtmlDocumentExtractor();
        var pages = new Dictionary<string, IReadOnlyList<DocumentSection>>(StringComparer.Ordinal);
        var problems = new List<string>();

        foreach (var (id, key) in keys)
        {
            if (!pages.TryGetValue(key.Page, out var sections))
            {
                await using var file = File.OpenRead(Path.Combine(book, key.Page));
                var extracted = await extractor.ExtractAsync(file, Path.GetFileName(key.Page), TestContext.Current.CancellationToken);
                pages[key.Page] = sections = extracted.Documents.Single().Sections;
            }

            // The section and the sections below it: a heading path naming the section at any level.
            var text = KeyFacts.Normalise(string.Join("\n", sections
                .Where(s => s.HeadingPath?.Split(DocumentSection.HeadingSeparator).Contains(key.Section, StringComparer.Ordinal) == true)
                .Select(s => s.Text)));
            if (text.Length == 0)
            {
                problems.Add($"{id}: no section '{key.Section}' on {key.Page}");
                continue;
            }

            problems.AddRange(key.KeyFacts.Where(fact => !text.Contains(KeyFacts.Normalise(fact), StringComparison.Ordinal))
                .Select(fact => $"{id}: key fact '{fact}' is not in section '{key.Section}' of {key.Page}"));
        }

        Assert.True(problems.Count == 0, $"{problems.Count} problems with the installed book ({book}):\n{string.Join("\n", problems)}");
    }

    [Fact]
    public async Task TheSet_HasSixtyQuestionsSplitInHalvesAndSpreadOverTheBook()
    {
        var book = RequireBook();
        var train = await LoadAsync(book, BeirSplit.Train);
        var test = await LoadAsync(book, BeirSplit.Test);

        var all = train.Queries.Count + test.Queries.Count;
        Assert.True(all >= 60, $"{all} questions; the set needs 60 or more");
        Assert.InRange((double)test.Queries.Count / all, 0.45, 0.55);
        foreach (var part in (string[])["guide/", "reference/", "commands/", "faq.html"])
        {
            Assert.Contains(train.AnswerKeys!.Values, k => k.Page.StartsWith(part, StringComparison.Ordinal));
            Assert.Contains(test.AnswerKeys!.Values, k => k.Page.StartsWith(part, StringComparison.Ordinal));
        }

        // The corpus is the book's pages but the excluded ones (the whole book on one page, the release notes, ...).
        Assert.DoesNotContain(train.Corpus, d => d.Id is "print.html" or "toc.html" or "CHANGELOG.html");
        Assert.Contains(train.Corpus, d => d.Id == "guide/tests.html");
        Assert.True(train.Corpus.Count >= 90, $"{train.Corpus.Count} pages in the corpus");
    }

    private static string RequireBook()
    {
        Assert.SkipWhen(CargoBook.Directory is null, CargoBook.NotInstalled);
        return CargoBook.Directory!;
    }

    private static Task<BeirDataset> LoadAsync(string book, BeirSplit split) =>
        QuestionSetLoader.LoadAsync(CargoBook.SetDirectory, book, split, TestContext.Current.CancellationToken);

    private static async Task<List<KeyValuePair<string, AnswerKey>>> AllAnswerKeysAsync(string book)
    {
        var train = await LoadAsync(book, BeirSplit.Train);
        var test = await LoadAsync(book, BeirSplit.Test);
        return [.. train.AnswerKeys!.Concat(test.AnswerKeys!)];
    }
}
