using TenantRag.Rag.Ingestion;
using TenantRag.Rag.Ingestion.Extraction;
using TenantRag.Testing;

namespace TenantRag.Rag.Tests.Ingestion;

/// <summary>
/// What a page shows around its content (help popups, menus, dialogs, elements hidden inline) is not extracted: a site
/// repeats it on every page, so it would make near-identical chunks in every document and match every query about it.
/// </summary>
public sealed class HtmlPageChromeTests
{
    // The shape of an mdBook page (the Cargo Book, the Rust book): a help popup that only the site's stylesheet hides,
    // a menu bar with the book's name as an h1, then the chapter in <main>.
    private const string BookPage = """
        <!DOCTYPE HTML>
        <html lang="en">
        <head><title>Tests - The Book</title><link rel="stylesheet" href="chrome.css"></head>
        <body>
          <div id="help-container">
            <div id="help-popup">
              <h2 class="help-title">Keyboard shortcuts</h2>
              <div><p>Press <kbd>S</kbd> to search in the book</p><p>Press <kbd>Esc</kbd> to hide this help</p></div>
            </div>
          </div>
          <div id="page-wrapper">
            <div id="menu-bar">
              <ul class="theme-popup" role="menu"><li role="none">Light</li><li role="none">Coal</li></ul>
              <h1 class="menu-title">The Book</h1>
            </div>
            <div id="search-wrapper" class="hidden"><div class="searchresults-header">Search results</div></div>
            <div id="content">
              <main>
                <h1 id="tests">Tests</h1>
                <p>Run only the tests whose name matches with cargo test foo.</p>
                <h2>Unit tests</h2>
                <p>Unit tests go next to the code they test.</p>
              </main>
            </div>
          </div>
        </body>
        </html>
        """;

    [Fact]
    public async Task ExtractAsync_PageWithMainElement_TakesOnlyTheMainContent()
    {
        using var dir = new TempDirectory();

        var document = await Extract.SingleAsync(dir.Write("tests.html", BookPage));

        Assert.Equal("Tests - The Book", document.Title);
        Assert.Equal<string?>(["Tests", "Tests > Unit tests"], document.Sections.Select(s => s.HeadingPath));
        Assert.Equal("Run only the tests whose name matches with cargo test foo.", document.Sections[0].Text);
        var all = Extract.AllText(document);
        Assert.DoesNotContain("Press", all, StringComparison.Ordinal);
        Assert.DoesNotContain("Coal", all, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExtractAsync_RealMdBookChapter_HasTheChapterAlone()
    {
        var document = await Extract.SingleAsync(RustDocPages.Path(RustDocPages.BookChapter));

        Assert.Equal("Tests - The Cargo Book", document.Title);
        Assert.Equal<string?>(["Tests"], document.Sections.Select(s => s.HeadingPath).Distinct());
        var all = Extract.AllText(document);
        Assert.StartsWith("Cargo can run your tests with the cargo test command.", all, StringComparison.Ordinal);
        Assert.DoesNotContain("Keyboard shortcuts", all, StringComparison.Ordinal);
        Assert.DoesNotContain("navigate between chapters", all, StringComparison.Ordinal);
        Assert.DoesNotContain("Auto", all.Split('\n'), StringComparer.Ordinal); // the theme menu's entries
    }

    [Fact]
    public async Task ExtractAsync_ElementsHiddenInline_AreDropped()
    {
        using var dir = new TempDirectory();
        var page = """
            <html><head><title>Hidden</title></head><body>
            <p>Visible text.</p>
            <div style="display: none"><h2>Popup</h2><p>SECRET one</p></div>
            <p style="color:red;DISPLAY:NONE !important">SECRET two</p>
            <p style="visibility : hidden">SECRET three</p>
            <p style="display:block; visibility: visible">Shown with a style.</p>
            <p style="display: none-like-but-not">Shown, not a display value.</p>
            </body></html>
            """;

        var document = await Extract.SingleAsync(dir.Write("hidden.html", page));

        Assert.Equal("Visible text.\n\nShown with a style.\n\nShown, not a display value.", Extract.AllText(document));
        Assert.Equal<string?>([null], document.Sections.Select(s => s.HeadingPath));
    }

    [Fact]
    public async Task ExtractAsync_DialogsMenusAndLandmarkRoles_AreDropped()
    {
        using var dir = new TempDirectory();
        var page = """
            <html><head><title>Roles</title></head><body>
            <div role="dialog"><p>SECRET dialog</p></div>
            <div role="alertdialog"><p>SECRET alert</p></div>
            <div role="navigation"><p>SECRET navigation</p></div>
            <div role="banner"><p>SECRET banner</p></div>
            <div role="contentinfo"><p>SECRET footer</p></div>
            <div role="search"><p>SECRET search</p></div>
            <ul role="menubar"><li>SECRET menu</li></ul>
            <div aria-modal="true"><p>SECRET modal</p></div>
            <div role="note"><p>A note is content.</p></div>
            </body></html>
            """;

        var document = await Extract.SingleAsync(dir.Write("roles.html", page));

        Assert.Equal("A note is content.", Extract.AllText(document));
    }

    [Fact]
    public async Task ExtractAsync_TwoMainElements_KeepsTheWholeBody()
    {
        // Only one main element may be shown; with two, the page does not say which is its content, so nothing is cut.
        using var dir = new TempDirectory();
        var page = "<html><head><title>Two</title></head><body><p>Intro.</p><main><p>First.</p></main><main><p>Second.</p></main></body></html>";

        var document = await Extract.SingleAsync(dir.Write("two.html", page));

        Assert.Equal("Intro.\n\nFirst.\n\nSecond.", Extract.AllText(document));
    }

    [Fact]
    public async Task ExtractAsync_HiddenMainElement_IsNotTheContent()
    {
        using var dir = new TempDirectory();
        var page = "<html><head><title>Hidden main</title></head><body><main hidden><p>SECRET old.</p></main><div role=\"main\"><p>Current.</p></div><p>After.</p></body></html>";

        var document = await Extract.SingleAsync(dir.Write("hidden-main.html", page));

        Assert.Equal("Current.", Extract.AllText(document));
    }

    [Fact]
    public async Task ExtractAsync_EveryPageOfTheInstalledCargoBook_HasNoPageChrome()
    {
        Assert.SkipWhen(CargoBook.Directory is null, CargoBook.NotInstalled);
        var book = CargoBook.Directory!;
        var problems = new List<string>();
        var pages = 0;

        // The pages the question set ingests: the whole book on one page and the release notes (exclude.txt) would only
        // double the time.
        var excluded = File.ReadAllLines(Path.Combine(CargoBook.SetDirectory, "exclude.txt"))
            .Select(line => line.Trim()).Where(line => line.Length > 0 && !line.StartsWith('#')).ToHashSet(StringComparer.Ordinal);
        foreach (var path in Directory.EnumerateFiles(book, "*.html", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Where(path => !excluded.Contains(Path.GetRelativePath(book, path))))
        {
            ExtractedDocument document;
            try
            {
                document = await Extract.SingleAsync(path);
            }
            catch (DocumentRejectedException ex) when (ex.Reason == DocumentRejectionReason.RedirectOnly)
            {
                continue;
            }

            pages++;
            var all = Extract.AllText(document);
            if (document.Sections.Any(s => s.HeadingPath?.Contains("Keyboard shortcuts", StringComparison.Ordinal) == true)
                || all.Contains("to navigate between chapters", StringComparison.Ordinal))
            {
                problems.Add($"{Path.GetRelativePath(book, path)}: the keyboard shortcuts popup");
            }
        }

        // The chapter starts with its own heading, not under the menu bar's book title.
        var tests = await Extract.SingleAsync(Path.Combine(book, "guide", "tests.html"));
        Assert.Equal("Tests", tests.Sections[0].HeadingPath);
        Assert.True(pages >= 90, $"{pages} pages extracted from {book}");
        Assert.True(problems.Count == 0, $"{problems.Count} pages with page chrome:\n{string.Join("\n", problems)}");
    }
}
