using System.Text;
using TenantRag.Rag.Ingestion;

namespace TenantRag.Rag.Tests.Ingestion;

public sealed class DocumentRejectionTests
{
    [Fact]
    public async Task Unsupported_extension_is_rejected_listing_supported_types()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("budget.docx", "PK fake word file");

        var ex = await Assert.ThrowsAsync<UnsupportedDocumentException>(() => Extract.FileAsync(path));

        Assert.Equal(DocumentRejectionReason.UnsupportedType, ex.Reason);
        Assert.Equal(".docx", ex.Extension);
        Assert.Equal("budget.docx", ex.FileName);
        Assert.Contains(".docx", ex.Message, StringComparison.Ordinal);
        Assert.Contains(".pdf", ex.Message, StringComparison.Ordinal);
        Assert.Equal(2, ex.ExitCode);
    }

    [Fact]
    public async Task File_without_extension_is_unsupported()
    {
        using var dir = new TempDirectory();
        var ex = await Assert.ThrowsAsync<UnsupportedDocumentException>(() => Extract.FileAsync(dir.Write("Makefile", "all: build")));

        Assert.Contains("(none)", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("empty.txt")]
    [InlineData("empty.md")]
    [InlineData("empty.pdf")]
    [InlineData("empty.jsonl")]
    public async Task Empty_file_is_rejected(string fileName)
    {
        using var dir = new TempDirectory();
        var ex = await Assert.ThrowsAsync<DocumentRejectedException>(() => Extract.FileAsync(dir.Write(fileName, [])));

        Assert.Equal(DocumentRejectionReason.EmptyFile, ex.Reason);
        Assert.Contains("empty", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("blank.txt", " \n\t\n  \n")]
    [InlineData("scripts.html", "<html><head><script>alert(1)</script></head><body><nav>Menu</nav></body></html>")]
    [InlineData("headings.md", "# Title only\n\n## Nothing below\n")]
    public async Task File_without_text_is_rejected(string fileName, string content)
    {
        using var dir = new TempDirectory();
        var ex = await Assert.ThrowsAsync<DocumentRejectedException>(() => Extract.FileAsync(dir.Write(fileName, content)));

        Assert.Equal(DocumentRejectionReason.NoExtractableText, ex.Reason);
    }

    [Fact]
    public async Task Pdf_without_text_is_rejected()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("blank.pdf", TestPdfs.Build("Empty", []));

        var ex = await Assert.ThrowsAsync<DocumentRejectedException>(() => Extract.FileAsync(path));

        Assert.Equal(DocumentRejectionReason.NoExtractableText, ex.Reason);
    }

    [Fact]
    public async Task Garbage_pdf_is_rejected_as_corrupt()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("invoice.pdf", "This is not a PDF at all, just some text renamed to .pdf."u8.ToArray());

        var ex = await Assert.ThrowsAsync<DocumentRejectedException>(() => Extract.FileAsync(path));

        Assert.Equal(DocumentRejectionReason.Corrupt, ex.Reason);
        Assert.Contains("PDF", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", ex.Message, StringComparison.Ordinal); // the library's internals stay in the inner exception
        Assert.NotNull(ex.InnerException);
    }

    [Fact]
    public async Task Truncated_pdf_is_rejected_with_a_clear_reason()
    {
        using var dir = new TempDirectory();
        var pdf = TestPdfs.Build("Report", ["Some text on page one."], ["More text on page two."]);
        var path = dir.Write("truncated.pdf", pdf[..(pdf.Length / 3)]);

        var ex = await Assert.ThrowsAsync<DocumentRejectedException>(() => Extract.FileAsync(path));

        Assert.Contains(ex.Reason, new[] { DocumentRejectionReason.Corrupt, DocumentRejectionReason.NoExtractableText });
        Assert.Contains("truncated.pdf", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task File_over_the_size_limit_is_rejected_before_parsing()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("big.txt", new string('a', 2_000));
        var options = new IngestionOptions { MaxFileSizeBytes = 1_000 };

        var ex = await Assert.ThrowsAsync<DocumentRejectedException>(() => Extract.FileAsync(path, options));

        Assert.Equal(DocumentRejectionReason.TooLarge, ex.Reason);
        Assert.Contains("1,000", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Non_seekable_stream_over_the_size_limit_is_rejected()
    {
        var options = new IngestionOptions { MaxFileSizeBytes = 100_000 };
        await using var stream = new NonSeekableStream(new MemoryStream(Encoding.UTF8.GetBytes(new string('x', 300_000))));

        var ex = await Assert.ThrowsAsync<DocumentRejectedException>(
            () => Extract.Service(options).ExtractAsync(stream, "upload.md", TestContext.Current.CancellationToken));

        Assert.Equal(DocumentRejectionReason.TooLarge, ex.Reason);
    }

    [Fact]
    public async Task Non_seekable_stream_within_the_limit_is_extracted()
    {
        await using var stream = new NonSeekableStream(new MemoryStream("Streamed\n\nBody text."u8.ToArray()));

        var result = await Extract.Service().ExtractAsync(stream, "upload.txt", TestContext.Current.CancellationToken);

        Assert.Equal("Streamed", Assert.Single(result.Documents).Title);
    }

    [Fact]
    public async Task Invalid_utf8_text_is_rejected_with_position()
    {
        using var dir = new TempDirectory();
        // "Caf\xE9" is Latin-1, not UTF-8.
        var path = dir.Write("latin1.txt", [.. "Line one\nCaf"u8, 0xE9, .. " au lait\n"u8]);

        var ex = await Assert.ThrowsAsync<DocumentRejectedException>(() => Extract.FileAsync(path));

        Assert.Equal(DocumentRejectionReason.InvalidEncoding, ex.Reason);
        Assert.Contains("UTF-8", ex.Message, StringComparison.Ordinal);
        Assert.Contains("line 2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Binary_content_in_txt_is_rejected()
    {
        using var dir = new TempDirectory();
        var bytes = new byte[512];
        new Random(42).NextBytes(bytes);
        bytes[10] = 0;
        var path = dir.Write("image.txt", bytes);

        var ex = await Assert.ThrowsAsync<DocumentRejectedException>(() => Extract.FileAsync(path));

        Assert.Equal(DocumentRejectionReason.BinaryContent, ex.Reason);
    }

    [Fact]
    public async Task Control_characters_in_txt_are_rejected_as_binary()
    {
        using var dir = new TempDirectory();
        var text = string.Concat(Enumerable.Repeat("ab\u0001\u0002\u0003", 50));
        var path = dir.Write("controls.txt", text);

        var ex = await Assert.ThrowsAsync<DocumentRejectedException>(() => Extract.FileAsync(path));

        Assert.Equal(DocumentRejectionReason.BinaryContent, ex.Reason);
    }

    private sealed class NonSeekableStream(Stream inner) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            inner.ReadAsync(buffer, cancellationToken);

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
