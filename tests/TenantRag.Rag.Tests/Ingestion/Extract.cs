using TenantRag.Rag.Ingestion;
using TenantRag.Rag.Ingestion.Extraction;

namespace TenantRag.Rag.Tests.Ingestion;

/// <summary>Runs the real extraction service on real files.</summary>
internal static class Extract
{
    public static DocumentExtractionService Service(IngestionOptions? options = null)
    {
        options ??= new IngestionOptions();
        return new DocumentExtractionService(DocumentExtractorRegistry.CreateDefault(options), options);
    }

    public static Task<ExtractionResult> FileAsync(string path, IngestionOptions? options = null) =>
        Service(options).ExtractFileAsync(path, TestContext.Current.CancellationToken);

    public static async Task<ExtractedDocument> SingleAsync(string path, IngestionOptions? options = null)
    {
        var result = await FileAsync(path, options);
        return Assert.Single(result.Documents);
    }

    public static string AllText(ExtractedDocument document) => string.Join("\n\n", document.Sections.Select(s => s.Text));
}
