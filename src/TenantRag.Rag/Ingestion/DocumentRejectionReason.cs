namespace TenantRag.Rag.Ingestion;

/// <summary>Why a document was refused by the ingestion pipeline.</summary>
public enum DocumentRejectionReason
{
    /// <summary>The file type (extension) is not supported by any registered extractor.</summary>
    UnsupportedType = 0,

    /// <summary>The file contains no bytes at all.</summary>
    EmptyFile = 1,

    /// <summary>The file was parsed but contains no extractable text (for example a scanned PDF or an HTML page made only of scripts).</summary>
    NoExtractableText = 2,

    /// <summary>The file is larger than <see cref="IngestionOptions.MaxFileSizeBytes"/>.</summary>
    TooLarge = 3,

    /// <summary>A text file is not valid UTF-8.</summary>
    InvalidEncoding = 4,

    /// <summary>A text file contains binary content (NUL bytes or many control characters).</summary>
    BinaryContent = 5,

    /// <summary>The file is damaged or not in the format its extension claims (for example a truncated PDF).</summary>
    Corrupt = 6,

    /// <summary>The file is encrypted or password protected.</summary>
    Encrypted = 7,

    /// <summary>The file is well-formed but its content is invalid (for example every line of a JSONL corpus is malformed).</summary>
    InvalidContent = 8,
}
