using TenantRag.Rag.Tests.Ingestion;

namespace TenantRag.Rag.Tests.Evaluation;

/// <summary>A small valid question set and the pages it asks about, in scratch directories, for loader and runner tests.</summary>
internal sealed class QuestionSetFiles : IDisposable
{
    public const string Questions = """
        {"_id": "q1", "text": "How do I run one test?", "page": "guide/tests.html", "section": "Tests", "keyFacts": ["cargo test foo"], "split": "train"}
        {"_id": "q2", "text": "Where do integration tests go?", "page": "guide/layout.html", "alsoPages": ["guide/tests.html"], "section": "Layout", "keyFacts": ["the tests directory", "tests/"], "split": "test"}

        {"_id": "q3", "text": "How do I make a dependency optional?", "page": "reference/features.html", "section": "Optional dependencies", "keyFacts": ["optional = true"], "split": "test"}
        """;

    public QuestionSetFiles(string questions = Questions)
    {
        Set.Write("questions.jsonl", questions);
        Set.Write("exclude.txt", "# not part of the corpus\nprint.html\n\nmissing-in-this-version.html\n");
        Page("guide/tests.html", "Tests", "You can also run a specific test by passing a filter: cargo test foo");
        Page("guide/layout.html", "Layout", "Integration tests go in the tests directory.");
        Page("reference/features.html", "Optional dependencies", "gif = { version = \"0.11.1\", optional = true }");
        Page("index.html", "The Book", "An introduction.");
        Page("print.html", "Everything", "Every chapter again.");
        Page(".hidden/page.html", "Hidden", "Not a page of the book.");
        Pages.Write("searchindex.js", "var index = {};");
    }

    public TempDirectory Set { get; } = new();

    public TempDirectory Pages { get; } = new();

    public void Dispose()
    {
        Set.Dispose();
        Pages.Dispose();
    }

    private void Page(string id, string heading, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(Pages.Path, id))!);
        Pages.Write(id, $"<html><head><title>{heading}</title></head><body><h1>{heading}</h1><p>{text}</p></body></html>");
    }
}
