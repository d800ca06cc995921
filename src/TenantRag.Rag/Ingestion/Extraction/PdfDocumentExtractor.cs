using TenantRag.Rag.Ingestion.Extraction.Pdf;
using UglyToad.PdfPig;
using UglyToad.PdfPig.DocumentLayoutAnalysis.TextExtractor;
using UglyToad.PdfPig.Exceptions;

namespace TenantRag.Rag.Ingestion.Extraction;

/// <summary>
/// Extracts PDF text with PdfPig, one section per page (in content order, with paragraph breaks where PdfPig
/// detects them), repaired as a reader sees it (<see cref="PdfTextRepair"/>): running headers, footers and page numbers
/// removed, words hyphenated across lines re-joined, and lines that wrap at the margin joined into their sentence. The
/// title comes from the document information dictionary, else the file name. Corrupt or encrypted files are rejected;
/// a page that fails to parse is skipped and reported as an issue.
/// </summary>
/// <remarks>
/// A PDF is a small file that can ask for a lot: compressed streams that expand a thousandfold, a page that draws a
/// form a million times. The file is read from the stream as PdfPig needs it (never copied into memory), and the
/// <see cref="IngestionOptions"/> limits are checked before the work they bound: the page count before any page, each
/// page's operations and characters (forms included) before PdfPig parses it, each stream's decompressed size while it
/// inflates, the document's text after each page. PdfPig calls back at every read and every decompression, where
/// cancellation, the extraction deadline and a memory backstop are checked.
/// </remarks>
public sealed class PdfDocumentExtractor : IDocumentExtractor
{
    private static readonly ContentOrderTextExtractor.Options TextOptions = new()
    {
        SeparateParagraphsWithDoubleNewline = true,
        ReplaceWhitespaceWithSpace = true,
    };

    private readonly IngestionOptions _options;

    /// <summary>Creates the extractor.</summary>
    /// <param name="options">Ingestion options (limits); defaults are used when <see langword="null"/>.</param>
    public PdfDocumentExtractor(IngestionOptions? options = null)
    {
        _options = options ?? new IngestionOptions();
    }

    /// <inheritdoc />
    public IReadOnlyCollection<string> SupportedExtensions { get; } = [".pdf"];

    /// <inheritdoc />
    public string MediaType => "application/pdf";

    /// <inheritdoc />
    /// <remarks>The content must be seekable; PdfPig reads it where it needs to.</remarks>
    public Task<ExtractionResult> ExtractAsync(Stream content, string fileName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(fileName);
        if (!content.CanSeek)
        {
            throw new ArgumentException("PDF content must be seekable", nameof(content));
        }

        // PdfPig is synchronous: the whole extraction runs on this thread, which is what the budget's allocation count measures.
        var budget = new PdfBudget(fileName, _options, cancellationToken);
        using var file = new CheckpointStream(content, budget);
        using var pdf = Open(file, fileName, budget);
        var title = TextContent.CollapseWhitespace(SafeTitle(pdf));
        if (title.Length == 0)
        {
            title = TextContent.TitleFromFileName(fileName);
        }

        var pageCount = PageCount(pdf, fileName, budget);
        var costs = new PdfPageCosts(pdf, budget);
        pdf.AddPageFactory(costs);
        var pages = new List<(int Number, string Text)>();
        var issues = new List<ExtractionIssue>();
        long characters = 0;
        for (var pageNumber = 1; pageNumber <= pageCount; pageNumber++)
        {
            budget.BeginStep($"reading page {pageNumber}");
            budget.Checkpoint();
            if (ReadPage(pdf, costs, pageNumber, budget) is not { } raw)
            {
                issues.Add(new ExtractionIssue { Reason = $"page {pageNumber} could not be read and was skipped" });
                continue;
            }

            var text = TextContent.NormalizeBlockText(raw);
            characters += text.Length;
            if (characters > _options.MaxCharactersPerDocument)
            {
                throw LimitRejections.TooManyCharacters(fileName, _options.MaxCharactersPerDocument);
            }

            pages.Add((pageNumber, text));
        }

        // Headers and footers are told by recurring on many pages, so the repair needs them all.
        budget.Checkpoint();
        var repaired = PdfTextRepair.Repair(pages.Select(p => p.Text).ToArray());
        var sections = pages.Select((p, i) => new DocumentSection { Text = repaired[i], PageNumber = p.Number }).Where(s => s.Text.Length > 0).ToList();

        if (sections.Count == 0 && issues.Count > 0 && issues.Count == pageCount)
        {
            throw new DocumentRejectedException(fileName, DocumentRejectionReason.Corrupt, $"none of the {pageCount} PDF pages could be read");
        }

        return Task.FromResult(new ExtractionResult
        {
            Documents = [new ExtractedDocument { Title = title, SourceFileName = fileName, Sections = sections }],
            Issues = issues,
        });
    }

    private static PdfDocument Open(Stream file, string fileName, PdfBudget budget)
    {
        var options = new ParsingOptions { UseLenientParsing = true, SkipMissingFonts = true, FilterProvider = new BoundedFilterProvider(budget) };
        try
        {
            var pdf = PdfDocument.Open(file, options);
            budget.ThrowIfRefused();
            return pdf;
        }
        catch (PdfDocumentEncryptedException ex)
        {
            throw new DocumentRejectedException(fileName, DocumentRejectionReason.Encrypted, "the PDF is encrypted or password protected; remove the password and upload it again", ex);
        }
        catch (Exception ex) when (ex is not DocumentRejectedException and not OperationCanceledException and not OutOfMemoryException)
        {
            // PdfPig may have wrapped a refusal or a cancellation while it tried to repair the file.
            budget.ThrowIfRefused();
            throw new DocumentRejectedException(fileName, DocumentRejectionReason.Corrupt, "the PDF is corrupt or not a PDF; re-export it from the source application", ex);
        }
    }

    private int PageCount(PdfDocument pdf, string fileName, PdfBudget budget)
    {
        int pageCount;
        try
        {
            pageCount = pdf.NumberOfPages;
        }
        catch (Exception ex) when (ex is not DocumentRejectedException and not OperationCanceledException and not OutOfMemoryException)
        {
            budget.ThrowIfRefused();
            throw new DocumentRejectedException(fileName, DocumentRejectionReason.Corrupt, "the PDF page tree is corrupt; re-export it from the source application", ex);
        }

        return pageCount > _options.MaxPagesPerDocument ? throw LimitRejections.TooManyPages(fileName, pageCount, _options.MaxPagesPerDocument) : pageCount;
    }

    // The page's text, or null when PdfPig cannot read it; a page over a limit is refused before PdfPig parses it.
    private static string? ReadPage(PdfDocument pdf, PdfPageCosts costs, int pageNumber, PdfBudget budget)
    {
        try
        {
            costs.Check(pageNumber);
            var text = ContentOrderTextExtractor.GetText(pdf.GetPage(pageNumber), TextOptions);
            budget.ThrowIfRefused();
            return text;
        }
        catch (Exception ex) when (ex is not DocumentRejectedException and not OperationCanceledException and not OutOfMemoryException)
        {
            budget.ThrowIfRefused();
            return null;
        }
    }

    private static string SafeTitle(PdfDocument pdf)
    {
        try
        {
            return pdf.Information?.Title ?? string.Empty;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return string.Empty;
        }
    }
}
