using System.Text.RegularExpressions;
using UglyToad.PdfPig;
using UglyToad.PdfPig.DocumentLayoutAnalysis.TextExtractor;
using UglyToad.PdfPig.Exceptions;

namespace TenantRag.Rag.Ingestion.Extraction;

/// <summary>
/// Extracts PDF text with PdfPig, one section per page (in content order, with paragraph breaks where PdfPig
/// detects them and words hyphenated across lines re-joined). The title comes from the document information
/// dictionary, else the file name. Corrupt or encrypted files are rejected; a page that fails to parse is skipped
/// and reported as an issue.
/// </summary>
public sealed partial class PdfDocumentExtractor : IDocumentExtractor
{
    private static readonly ContentOrderTextExtractor.Options TextOptions = new()
    {
        SeparateParagraphsWithDoubleNewline = true,
        ReplaceWhitespaceWithSpace = true,
    };

    /// <inheritdoc />
    public IReadOnlyCollection<string> SupportedExtensions { get; } = [".pdf"];

    /// <inheritdoc />
    public async Task<ExtractionResult> ExtractAsync(Stream content, string fileName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(fileName);
        var bytes = await TextContent.ReadAllBytesAsync(content, cancellationToken).ConfigureAwait(false);

        PdfDocument pdf;
        try
        {
            pdf = PdfDocument.Open(bytes, new ParsingOptions { UseLenientParsing = true, SkipMissingFonts = true });
        }
        catch (PdfDocumentEncryptedException ex)
        {
            throw new DocumentRejectedException(fileName, DocumentRejectionReason.Encrypted, "the PDF is encrypted or password protected; remove the password and upload it again", ex);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
        {
            throw new DocumentRejectedException(fileName, DocumentRejectionReason.Corrupt, "the PDF is corrupt or not a PDF; re-export it from the source application", ex);
        }

        using (pdf)
        {
            var title = TextContent.CollapseWhitespace(SafeTitle(pdf));
            if (title.Length == 0)
            {
                title = TextContent.TitleFromFileName(fileName);
            }

            var sections = new List<DocumentSection>();
            var issues = new List<ExtractionIssue>();
            int pageCount;
            try
            {
                pageCount = pdf.NumberOfPages;
            }
            catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
            {
                throw new DocumentRejectedException(fileName, DocumentRejectionReason.Corrupt, "the PDF page tree is corrupt; re-export it from the source application", ex);
            }

            for (var pageNumber = 1; pageNumber <= pageCount; pageNumber++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                string raw;
                try
                {
                    raw = ContentOrderTextExtractor.GetText(pdf.GetPage(pageNumber), TextOptions);
                }
                catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
                {
                    issues.Add(new ExtractionIssue { Reason = $"page {pageNumber} could not be read and was skipped" });
                    continue;
                }

                var text = HyphenatedLineBreak().Replace(TextContent.NormalizeBlockText(raw), "$1$2");
                if (text.Length > 0)
                {
                    sections.Add(new DocumentSection { Text = text, PageNumber = pageNumber });
                }
            }

            if (sections.Count == 0 && issues.Count > 0 && issues.Count == pageCount)
            {
                throw new DocumentRejectedException(fileName, DocumentRejectionReason.Corrupt, $"none of the {pageCount} PDF pages could be read");
            }

            return new ExtractionResult
            {
                Documents = [new ExtractedDocument { Title = title, SourceFileName = fileName, Sections = sections }],
                Issues = issues,
            };
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

    [GeneratedRegex(@"(\p{Ll})-\n(\p{Ll})", RegexOptions.CultureInvariant)]
    private static partial Regex HyphenatedLineBreak();
}
