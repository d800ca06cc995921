using System.Text;
using TenantRag.Rag.Ingestion;
using TenantRag.Rag.Ingestion.Extraction;
using TenantRag.Testing;

namespace TenantRag.Rag.Tests.Ingestion;

/// <summary>
/// Files built to take the process's memory or CPU (issue 11, items 1 and 4) are refused while they are read, with the
/// limit named, having allocated a small fraction of what they ask for. Allocation is measured for the whole process,
/// so these run alone. The generous caps are far below what the same files took before the limits (a 10 KB PDF whose
/// page shows a million glyphs: 790 MB allocated and 520 MB resident; 1 MB of nested HTML: 51 s).
/// </summary>
[Collection(MeasuredAlone.Name)]
public sealed class HostileFileTests
{
    private const long Mib = 1024 * 1024;

    [Fact]
    public async Task ExtractAsync_PdfPageShowingMillionGlyphs_RefusedBeforeThePageIsParsed()
    {
        // 7 MB of "(x) Tj" deflated into 10 KB.
        var pdf = HostileFiles.PdfWithRepeatedContent(HostileFiles.ShowOneGlyph, 1_000_000);

        var (ex, allocated) = await RefusedAsync("glyphs.pdf", pdf, null, TestContext.Current.CancellationToken);

        Assert.Equal(DocumentRejectionReason.TooManyCharacters, ex.Reason);
        Assert.Contains("page 1", ex.Detail, StringComparison.Ordinal);
        Assert.Contains("MaxPdfPageCharacters", ex.Detail, StringComparison.Ordinal);
        Assert.True(allocated < 64 * Mib, $"allocated {ProcessAllocations.Mib(allocated)}");
    }

    [Fact]
    public async Task ExtractAsync_PdfPageInflatingTo200Megabytes_RefusedWhileInflating()
    {
        // 210 MB of page content in a few hundred kilobytes: the attack that drove the server to 23 GB.
        var pdf = HostileFiles.PdfWithRepeatedContent(HostileFiles.ShowOneGlyph, 30_000_000);

        var (ex, allocated) = await RefusedAsync("inflates.pdf", pdf, null, TestContext.Current.CancellationToken);

        Assert.Equal(DocumentRejectionReason.DecompressedTooLarge, ex.Reason);
        Assert.Contains("MaxPdfStreamBytes", ex.Detail, StringComparison.Ordinal);
        Assert.True(allocated < 64 * Mib, $"allocated {ProcessAllocations.Mib(allocated)}");
    }

    [Fact]
    public async Task ExtractAsync_PdfPageLzwBomb_RefusedWhileCountingItsCodes()
    {
        // LZW expands a thousandfold too: 6 code tables (34 KB) decode to 44 MB.
        var pdf = HostileFiles.PdfWithLzwContent(tables: 6);

        var (ex, allocated) = await RefusedAsync("lzw.pdf", pdf, null, TestContext.Current.CancellationToken);

        Assert.Equal(DocumentRejectionReason.DecompressedTooLarge, ex.Reason);
        Assert.True(allocated < 8 * Mib, $"allocated {ProcessAllocations.Mib(allocated)}");
    }

    [Fact]
    public async Task ExtractAsync_PdfPageLzwUnderTheStreamLimit_DecodedAsPdfPigDoes()
    {
        // One table (7.4 MB of 'x', not text operators): within the stream limit, so PdfPig decodes it, and finds no text.
        var pdf = HostileFiles.PdfWithLzwContent(tables: 1);

        var (ex, _) = await RefusedAsync("lzw.pdf", pdf, null, TestContext.Current.CancellationToken);

        Assert.Equal(DocumentRejectionReason.NoExtractableText, ex.Reason);
    }

    [Fact]
    public async Task ExtractAsync_PdfDrawingOneFormThousandsOfTimes_RefusedBeforeThePageIsParsed()
    {
        // A thousand draws of a form showing a thousand glyphs: a million glyphs from a few kilobytes of content.
        var pdf = HostileFiles.PdfDrawingFormRepeatedly(draws: 1_000, glyphsPerForm: 1_000);

        var (ex, allocated) = await RefusedAsync("forms.pdf", pdf, null, TestContext.Current.CancellationToken);

        Assert.Equal(DocumentRejectionReason.TooManyCharacters, ex.Reason);
        Assert.True(allocated < 64 * Mib, $"allocated {ProcessAllocations.Mib(allocated)}");
    }

    [Fact]
    public async Task ExtractAsync_PdfPageRunningMillionsOfOperations_RefusedAsTooComplex()
    {
        // Path operations show no text but cost PdfPig about 200 bytes each.
        var pdf = HostileFiles.PdfWithRepeatedContent("1 2 m 3 4 l S\n", 700_000);

        var (ex, _) = await RefusedAsync("paths.pdf", pdf, null, TestContext.Current.CancellationToken);

        Assert.Equal(DocumentRejectionReason.TooComplex, ex.Reason);
        Assert.Contains("MaxPdfPageOperations", ex.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExtractAsync_PdfWithMorePagesThanTheLimit_RefusedBeforeAnyPageIsRead()
    {
        var pdf = HostileFiles.PdfWithPages(60);

        var (ex, _) = await RefusedAsync("pages.pdf", pdf, new IngestionOptions { MaxPagesPerDocument = 50 }, TestContext.Current.CancellationToken);

        Assert.Equal(DocumentRejectionReason.TooManyPages, ex.Reason);
        Assert.Contains("60 pages", ex.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExtractAsync_ThousandPageBook_ExtractedUnderTheDefaultLimits()
    {
        var pages = Enumerable.Range(1, 1_000)
            .Select(p => Enumerable.Range(1, 40).Select(l => $"Page {p} line {l}: the manual explains the setting in plain words.").ToArray())
            .ToArray();
        using var dir = new TempDirectory();
        var path = dir.Write("manual.pdf", TestPdfs.Build("Manual", pages));

        var document = Assert.Single((await Extract.FileAsync(path)).Documents);

        Assert.Equal(1_000, document.Sections.Count);
        Assert.Contains("Page 1000 line 40", document.Sections[^1].Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExtractAsync_HtmlNestedTwoHundredThousandDeep_RefusedQuickly()
    {
        // 1.1 MB; it held the global upload slot for 51 s.
        var html = HostileFiles.NestedHtml(220_000);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(20));

        var (ex, allocated) = await RefusedAsync("nested.html", html, null, deadline.Token);

        Assert.Equal(DocumentRejectionReason.TooComplex, ex.Reason);
        Assert.Contains("MaxNestingDepth", ex.Detail, StringComparison.Ordinal);
        Assert.True(allocated < 64 * Mib, $"allocated {ProcessAllocations.Mib(allocated)}");
    }

    [Fact]
    public async Task ExtractAsync_HtmlWithMoreElementsThanTheLimit_RefusedAsTooComplex()
    {
        var html = Encoding.ASCII.GetBytes("<html><body>" + new StringBuilder().Insert(0, "<p>x</p>", 300_000) + "</body></html>");

        var (ex, _) = await RefusedAsync("elements.html", html, null, TestContext.Current.CancellationToken);

        Assert.Equal(DocumentRejectionReason.TooComplex, ex.Reason);
        Assert.Contains("MaxHtmlElements", ex.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("huge.md")]
    [InlineData("huge.txt")]
    [InlineData("huge.html")]
    public async Task ExtractAsync_TextPastTheCharacterLimit_RefusedWhileReading(string fileName)
    {
        // 30 million characters against the default limit of 10 million.
        var text = HostileFiles.Words(30_000_000);

        var (ex, allocated) = await RefusedAsync(fileName, text, null, TestContext.Current.CancellationToken);

        Assert.Equal(DocumentRejectionReason.TooManyCharacters, ex.Reason);
        Assert.Contains("MaxCharactersPerDocument", ex.Detail, StringComparison.Ordinal);
        if (!fileName.EndsWith(".html", StringComparison.Ordinal))
        {
            // Read a block at a time and stopped at the limit: about 20 MB of text, not 30 MB of bytes and 60 MB of text.
            Assert.True(allocated < 64 * Mib, $"allocated {ProcessAllocations.Mib(allocated)}");
        }
    }

    [Fact]
    public async Task ExtractAsync_MarkdownQuotesNestedThousandsDeep_RefusedAsTooComplex()
    {
        var markdown = Encoding.ASCII.GetBytes(new string('>', 10_000) + " deep\n");

        var (ex, _) = await RefusedAsync("quotes.md", markdown, null, TestContext.Current.CancellationToken);

        Assert.Equal(DocumentRejectionReason.TooComplex, ex.Reason);
        Assert.Contains("MaxNestingDepth", ex.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExtractAsync_MarkdownHidingNestedHtml_RefusedAsTooComplex()
    {
        var markdown = Encoding.ASCII.GetBytes("# Notes\n\n" + Encoding.ASCII.GetString(HostileFiles.NestedHtml(5_000)) + "\n");

        var (ex, _) = await RefusedAsync("hidden.md", markdown, null, TestContext.Current.CancellationToken);

        Assert.Equal(DocumentRejectionReason.TooComplex, ex.Reason);
    }

    [Fact]
    public async Task ExtractAsync_JsonlWithMoreDocumentsThanTheLimit_Refused()
    {
        var lines = string.Concat(Enumerable.Range(1, 11).Select(i => $$"""{"_id": "d{{i}}", "title": "T{{i}}", "text": "Text {{i}}."}""" + "\n"));

        var (ex, _) = await RefusedAsync("corpus.jsonl", Encoding.UTF8.GetBytes(lines), new IngestionOptions { MaxDocumentsPerFile = 10 }, TestContext.Current.CancellationToken);

        Assert.Equal(DocumentRejectionReason.TooManyDocuments, ex.Reason);
    }

    [Fact]
    public async Task ExtractAsync_JsonlDocumentPastTheCharacterLimit_SkippedWithTheLimitNamed()
    {
        var lines = $$"""{"_id": "small", "text": "Fine."}""" + "\n" + $$"""{"_id": "big", "text": "{{new string('x', 2_000)}}"}""" + "\n";
        using var dir = new TempDirectory();

        var result = await Extract.FileAsync(dir.Write("corpus.jsonl", lines), new IngestionOptions { MaxCharactersPerDocument = 1_000 });

        Assert.Equal("small", Assert.Single(result.Documents).ExternalId);
        var issue = Assert.Single(result.Issues);
        Assert.Equal(2, issue.LineNumber);
        Assert.Contains("MaxCharactersPerDocument", issue.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExtractAsync_ExtractionPastItsTimeLimit_RefusedAsTimedOut()
    {
        var pages = Enumerable.Range(1, 300).Select(p => new[] { $"Page {p} holds a line of text." }).ToArray();

        var (ex, _) = await RefusedAsync("slow.pdf", TestPdfs.Build("Slow", pages), new IngestionOptions { MaxExtractionTime = TimeSpan.FromMilliseconds(1) }, TestContext.Current.CancellationToken);

        Assert.Equal(DocumentRejectionReason.TimedOut, ex.Reason);
        Assert.Contains("MaxExtractionTime", ex.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExtractAsync_CallerCancels_StaysACancellation()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        using var content = new MemoryStream(HostileFiles.NestedHtml(220_000));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Extract.Service().ExtractAsync(content, "nested.html", cancelled.Token));
    }

    // Extracts bytes written to a file (as an upload is), expecting a refusal; returns it and what the process allocated.
    private static async Task<(DocumentRejectedException Refusal, long Allocated)> RefusedAsync(string fileName, byte[] content,
        IngestionOptions? options, CancellationToken cancellationToken)
    {
        using var dir = new TempDirectory();
        var path = dir.Write(fileName, content);
        var service = Extract.Service(options);

        // The first PDF a process reads loads PdfPig's tables (fonts, encodings): not the attack's cost.
        await Extract.Service().ExtractFileAsync(dir.Write("warm-up.pdf", HostileFiles.PdfWithPages(1)), cancellationToken);
        GC.Collect();

        var (error, allocated) = await ProcessAllocations.MeasureAsync(() => service.ExtractFileAsync(path, cancellationToken));

        return (Assert.IsType<DocumentRejectedException>(error, exactMatch: false), allocated);
    }
}
