namespace TenantRag.Rag.Ingestion;

/// <summary>Thrown when no extractor handles the extension of an uploaded file.</summary>
public sealed class UnsupportedDocumentException : DocumentRejectedException
{
    /// <summary>Creates the exception for a file whose extension is not supported.</summary>
    /// <param name="fileName">The file name as supplied by the caller.</param>
    /// <param name="extension">The extension that was not recognised (may be empty).</param>
    /// <param name="supportedExtensions">The extensions that are supported, for the message.</param>
    public UnsupportedDocumentException(string fileName, string extension, IEnumerable<string> supportedExtensions)
        : base(
            fileName,
            DocumentRejectionReason.UnsupportedType,
            $"unsupported file type '{(extension.Length == 0 ? "(none)" : extension)}'; supported types: {string.Join(", ", supportedExtensions)}")
    {
        Extension = extension;
    }

    /// <summary>The unsupported extension including the leading dot, or empty when the file has none.</summary>
    public string Extension { get; }
}
