using System.Globalization;

namespace TenantRag.Rag.Ingestion.Extraction;

/// <summary>The rejections for files over an <see cref="IngestionOptions"/> limit, worded alike: what, the limit, what to do.</summary>
internal static class LimitRejections
{
    public static DocumentRejectedException TooManyCharacters(string fileName, int limit) => new(
        fileName,
        DocumentRejectionReason.TooManyCharacters,
        Format($"the document holds more than {limit:N0} characters of text, the most one document may hold; split the file, or raise the setting Ingestion:{nameof(IngestionOptions.MaxCharactersPerDocument)}"));

    public static DocumentRejectedException TooManyPageCharacters(string fileName, int page, int limit) => new(
        fileName,
        DocumentRejectionReason.TooManyCharacters,
        Format($"PDF page {page} shows more than {limit:N0} characters, the most one page may show; re-export the PDF, or raise the setting Ingestion:{nameof(IngestionOptions.MaxPdfPageCharacters)}"));

    public static DocumentRejectedException TooManyPageOperations(string fileName, int page, int limit) => new(
        fileName,
        DocumentRejectionReason.TooComplex,
        Format($"PDF page {page} runs more than {limit:N0} content operations, the most one page may run; re-export the PDF, or raise the setting Ingestion:{nameof(IngestionOptions.MaxPdfPageOperations)}"));

    public static DocumentRejectedException TooManyPages(string fileName, int pages, int limit) => new(
        fileName,
        DocumentRejectionReason.TooManyPages,
        Format($"the PDF has {pages:N0} pages, more than the {limit:N0} one document may have; split it, or raise the setting Ingestion:{nameof(IngestionOptions.MaxPagesPerDocument)}"));

    public static DocumentRejectedException TooManyDocuments(string fileName, int limit) => new(
        fileName,
        DocumentRejectionReason.TooManyDocuments,
        Format($"the file holds more than {limit:N0} documents, the most one file may hold; split it, or raise the setting Ingestion:{nameof(IngestionOptions.MaxDocumentsPerFile)}"));

    public static DocumentRejectedException TooDeep(string fileName, string what, int limit) => new(
        fileName,
        DocumentRejectionReason.TooComplex,
        Format($"{what} nest more than {limit:N0} levels deep, the most that is parsed; flatten the document, or raise the setting Ingestion:{nameof(IngestionOptions.MaxNestingDepth)}"));

    public static DocumentRejectedException TimedOut(string fileName, TimeSpan limit) => new(
        fileName,
        DocumentRejectionReason.TimedOut,
        Format($"reading the file took longer than {limit.TotalSeconds:0.###} s, the most one file may take; split it, or raise the setting Ingestion:{nameof(IngestionOptions.MaxExtractionTime)}"));

    public static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
