namespace TenantRag.Rag.Tests.Ingestion;

public sealed class TextDocumentExtractorTests
{
    [Fact]
    public async Task Short_first_line_becomes_title_and_paragraphs_are_kept()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("notes.txt", "Release Notes\r\n\r\nVersion 2 adds search.   \r\n\r\n\r\n\r\nIt also fixes bugs.\r\n");

        var document = await Extract.SingleAsync(path);

        Assert.Equal("Release Notes", document.Title);
        Assert.Equal("notes.txt", document.SourceFileName);
        var section = Assert.Single(document.Sections);
        Assert.Null(section.HeadingPath);
        Assert.Equal("Release Notes\n\nVersion 2 adds search.\n\nIt also fixes bugs.", section.Text);
    }

    [Fact]
    public async Task Long_first_line_falls_back_to_file_name()
    {
        using var dir = new TempDirectory();
        var longLine = string.Join(' ', Enumerable.Repeat("This opening sentence is far too long to be a title.", 5));
        var path = dir.Write("meeting-minutes.txt", longLine + "\nSecond line.");

        var document = await Extract.SingleAsync(path);

        Assert.Equal("meeting-minutes", document.Title);
        Assert.StartsWith("This opening sentence", document.Sections[0].Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Utf8_bom_and_non_ascii_text_are_decoded()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("cafe.txt", [0xEF, 0xBB, 0xBF, .. "Café menu\n\nCrème brûlée — 5 €"u8]);

        var document = await Extract.SingleAsync(path);

        Assert.Equal("Café menu", document.Title);
        Assert.Contains("Crème brûlée — 5 €", document.Sections[0].Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Extension_matching_is_case_insensitive()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("README.TXT", "Upper case extension\n\nStill text.");

        var document = await Extract.SingleAsync(path);

        Assert.Equal("Upper case extension", document.Title);
    }
}
