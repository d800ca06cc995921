using System.Text;
using TenantRag.Rag.Ingestion.Extraction;
using TenantRag.Testing;

namespace TenantRag.Rag.Tests.Ingestion;

/// <summary>What extraction records of a document's original: the media type of its format and the bytes it was read from.</summary>
public sealed class ExtractedOriginTests
{
    [Theory]
    [InlineData("notes.txt", "text/plain")]
    [InlineData("notes.text", "text/plain")]
    [InlineData("guide.md", "text/markdown")]
    [InlineData("guide.markdown", "text/markdown")]
    [InlineData("page.html", "text/html")]
    [InlineData("page.HTM", "text/html")]
    public async Task Each_format_has_its_media_type_and_the_files_size(string fileName, string mediaType)
    {
        using var dir = new TempDirectory();
        var bytes = fileName.Contains(".htm", StringComparison.OrdinalIgnoreCase)
            ? RustDocPages.Read(RustDocPages.ContentPage)
            : Encoding.UTF8.GetBytes("Größe\n\nSome text with ümlauts.\n");
        var path = dir.Write(fileName, bytes);

        var document = await Extract.SingleAsync(path);

        Assert.Equal(mediaType, document.MediaType);
        Assert.Equal(bytes.Length, document.ByteSize);
    }

    [Fact]
    public async Task A_pdf_is_application_pdf()
    {
        using var dir = new TempDirectory();
        var bytes = TestPdfs.Build(null, ["A page of a real PDF."]);
        var document = await Extract.SingleAsync(dir.Write("paper.pdf", bytes));

        Assert.Equal("application/pdf", document.MediaType);
        Assert.Equal(bytes.Length, document.ByteSize);
    }

    [Fact]
    public async Task Each_document_of_a_corpus_is_as_large_as_its_line()
    {
        using var dir = new TempDirectory();
        string[] lines = ["""{"_id": "1", "title": "One", "text": "Short."}""", """{"_id": "2", "title": "Zwei", "text": "Etwas länger, mit Umlauten: äöü."}"""];
        var path = dir.Write("corpus.jsonl", string.Join("\r\n", lines) + "\n\n");

        var result = await Extract.FileAsync(path);

        Assert.All(result.Documents, d => Assert.Equal("application/x-ndjson", d.MediaType));
        Assert.Equal(lines.Select(l => (long?)Encoding.UTF8.GetByteCount(l)), result.Documents.Select(d => d.ByteSize));
    }

    [Fact]
    public void Every_registered_extension_has_an_extractor_with_a_media_type()
    {
        var registry = DocumentExtractorRegistry.CreateDefault();

        Assert.All(registry.SupportedExtensions, extension =>
        {
            Assert.True(registry.TryGetExtractor("file" + extension, out var extractor));
            Assert.Matches("^[a-z]+/[a-z0-9.+-]+$", extractor!.MediaType);
        });
    }
}
