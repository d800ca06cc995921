namespace TenantRag.Rag.Ingestion.Extraction;

/// <summary>The media type of a file, from its extension (the same extension that picks its extractor).</summary>
public static class MediaTypes
{
    /// <summary><c>text/markdown</c> for <c>notes.md</c>; <c>application/octet-stream</c> for an extension no extractor reads.</summary>
    public static string Of(string fileName) => Path.GetExtension(fileName).ToLowerInvariant() switch
    {
        ".txt" or ".text" => "text/plain",
        ".md" or ".markdown" => "text/markdown",
        ".html" or ".htm" => "text/html",
        ".pdf" => "application/pdf",
        ".jsonl" => "application/x-ndjson",
        _ => "application/octet-stream",
    };
}
