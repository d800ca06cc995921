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
}
