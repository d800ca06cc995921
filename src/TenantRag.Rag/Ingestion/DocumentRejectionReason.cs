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

    /// <summary>The file is larger than <see cref="IngestionOptions.MaxFileSizeBytes"/> bytes.</summary>
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

    /// <summary>
    /// A document holds more text than <see cref="IngestionOptions.MaxCharactersPerDocument"/>, or a PDF page more than
    /// <see cref="IngestionOptions.MaxPdfPageCharacters"/>.
    /// </summary>
    TooManyCharacters = 9,

    /// <summary>A PDF has more pages than <see cref="IngestionOptions.MaxPagesPerDocument"/>.</summary>
    TooManyPages = 10,

    /// <summary>A document would be cut into more chunks than <see cref="IngestionOptions.MaxChunksPerDocument"/>.</summary>
    TooManyChunks = 11,

    /// <summary>A multi-document file (a BEIR <c>.jsonl</c>) holds more documents than <see cref="IngestionOptions.MaxDocumentsPerFile"/>.</summary>
    TooManyDocuments = 12,

    /// <summary>A compressed part of the file (a PDF stream) expands past <see cref="IngestionOptions.MaxPdfStreamBytes"/>.</summary>
    DecompressedTooLarge = 13,

    /// <summary>
    /// The file's structure is beyond what is parsed: elements nested deeper than <see cref="IngestionOptions.MaxNestingDepth"/>,
    /// more HTML elements than <see cref="IngestionOptions.MaxHtmlElements"/>, more drawing operations on a PDF page than
    /// <see cref="IngestionOptions.MaxPdfPageOperations"/>, or a PDF whose structure needs more memory than
    /// <see cref="IngestionOptions.MaxPdfParseAllocationBytes"/> to read.
    /// </summary>
    TooComplex = 14,

    /// <summary>Extraction took longer than <see cref="IngestionOptions.MaxExtractionTime"/>.</summary>
    TimedOut = 15,

    /// <summary>
    /// An HTML page only sends its reader to another address (<c>&lt;meta http-equiv="refresh"&gt;</c>) and has next to no
    /// text of its own, such as the "Redirecting..." pages documentation generators leave where pages moved.
    /// </summary>
    RedirectOnly = 16,
}
