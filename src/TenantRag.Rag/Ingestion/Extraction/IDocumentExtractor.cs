namespace TenantRag.Rag.Ingestion.Extraction;

/// <summary>Turns the bytes of one file format into plain-text documents.</summary>
public interface IDocumentExtractor
{
    /// <summary>The lower-case file extensions this extractor handles, including the leading dot (for example ".md").</summary>
    IReadOnlyCollection<string> SupportedExtensions { get; }

    /// <summary>The media type of the files this extractor reads (for example <c>text/markdown</c>), stored with their documents.</summary>
    string MediaType { get; }

    /// <summary>Extracts the documents contained in <paramref name="content"/>.</summary>
    /// <param name="content">The file content. Read to the end; not disposed.</param>
    /// <param name="fileName">The file name, used for titles and error messages.</param>
    /// <param name="cancellationToken">Cancels the extraction.</param>
    /// <returns>The extracted documents and any non-fatal issues.</returns>
    /// <exception cref="DocumentRejectedException">The content cannot be extracted (invalid encoding, corrupt file, ...).</exception>
    Task<ExtractionResult> ExtractAsync(Stream content, string fileName, CancellationToken cancellationToken);
}
