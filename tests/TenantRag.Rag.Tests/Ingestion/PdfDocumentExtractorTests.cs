using TenantRag.Rag.Generation;

namespace TenantRag.Rag.Tests.Ingestion;

public sealed class PdfDocumentExtractorTests
{
    [Fact]
    public async Task Generated_pdf_text_is_extracted_per_page_with_info_title()
    {
        using var dir = new TempDirectory();
        var pdf = TestPdfs.Build(
            "Quarterly Report",
            ["Revenue grew by ten percent.", "Costs stayed flat."],
            ["Outlook for next quarter is stable."]);
        var path = dir.Write("q3.pdf", pdf);

        var document = await Extract.SingleAsync(path);

        Assert.Equal("Quarterly Report", document.Title);
        Assert.Equal([1, 2], document.Sections.Select(s => s.PageNumber).ToArray());
        Assert.Contains("Revenue grew by ten percent.", document.Sections[0].Text, StringComparison.Ordinal);
        Assert.Contains("Costs stayed flat.", document.Sections[0].Text, StringComparison.Ordinal);
        Assert.Equal("Outlook for next quarter is stable.", document.Sections[1].Text);
    }

    [Fact]
    public async Task Pdf_without_info_title_uses_file_name()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("scan-0042.PDF", TestPdfs.Build(null, ["Hello from a PDF."]));

        var document = await Extract.SingleAsync(path);

        Assert.Equal("scan-0042", document.Title);
        Assert.Equal("Hello from a PDF.", Assert.Single(document.Sections).Text);
    }

    [Fact]
    public async Task Book_pages_lose_running_headers_and_page_numbers_and_keep_their_sentences_whole()
    {
        // As a word processor lays out a manual: a running header, lines wrapped at the margin (one word hyphenated), a
        // page number at the foot, and a sentence over two lines that ends well before the margin.
        using var dir = new TempDirectory();
        var pdf = TestPdfs.Build(
            "The Widget Handbook",
            [
                "The Widget Handbook", "",
                "Widgets are configured in a single file. To change where the configu-",
                "ration file is read from, set the WIDGET_HOME environment variable before",
                "starting the service; the default is the directory of the executable.", "",
                "Logs are rotated daily and kept for a week.", "", "1",
            ],
            [
                "The Widget Handbook", "",
                "A widget that fails three health checks in a row is restarted automati-",
                "cally, and an alert is sent to the on-call engineer of the widget's team.", "", "2",
            ],
            [
                "The Widget Handbook", "",
                "Backups run every night at two and are copied to a second region within",
                "the hour.", "",
                "Run the backup by hand:", "widget backup --now", "", "3",
            ]);

        var document = await Extract.SingleAsync(dir.Write("handbook.pdf", pdf));
        var sentences = document.Sections.SelectMany(s => SentenceSplitter.Split(s.Text)).ToList();

        Assert.Equal(
            [
                "Widgets are configured in a single file.",
                "To change where the configuration file is read from, set the WIDGET_HOME environment variable before starting the service; the default is the directory of the executable.",
                "Logs are rotated daily and kept for a week.",
                "A widget that fails three health checks in a row is restarted automatically, and an alert is sent to the on-call engineer of the widget's team.",
                "Backups run every night at two and are copied to a second region within the hour.",
                "Run the backup by hand:",
                "widget backup --now",
            ],
            sentences);
        Assert.Equal([1, 2, 3], document.Sections.Select(s => s.PageNumber));
    }

    [Fact]
    public async Task Numbered_running_header_goes_but_a_numbered_content_line_stays()
    {
        // Front matter numbered apart: the fourth page is printed as page 2, its header names the chapter and the number.
        using var dir = new TempDirectory();
        string[][] pages =
        [
            ["Contents"],
            ["Preface text that is long enough to be a real line of prose on its page."],
            ["1", "", "1 Getting started", "", "Install the tool with the package manager of your system."],
            ["Chapter 1: Getting started 2", "", "2 widgets are enough for a small team, and ten for a large one."],
            ["Chapter 1: Getting started 3", "", "Each widget reports its health every minute."],
        ];

        var document = await Extract.SingleAsync(dir.Write("guide.pdf", TestPdfs.Build("Guide", pages)));
        var text = Extract.AllText(document);

        Assert.DoesNotContain("Chapter 1: Getting started", text, StringComparison.Ordinal);
        Assert.StartsWith("1 Getting started", document.Sections[2].Text, StringComparison.Ordinal);
        Assert.Equal("2 widgets are enough for a small team, and ten for a large one.", document.Sections[3].Text);
    }

    [Fact]
    public async Task A_line_that_is_all_its_pages_hold_is_their_text_not_a_running_header()
    {
        using var dir = new TempDirectory();
        string[][] pages = [["Page text."], ["Page text.", "", "2"], ["Page text."]];

        var document = await Extract.SingleAsync(dir.Write("slides.pdf", TestPdfs.Build("Slides", pages)));

        Assert.Equal(["Page text.", "Page text.", "Page text."], document.Sections.Select(s => s.Text.Trim()));
    }
}
