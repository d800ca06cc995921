namespace TenantRag.Rag.Ingestion;

/// <summary>
/// Limits and knobs for reading one file: extraction, and how large one document may be. The limits keep a hostile or
/// broken file from taking the process's memory or CPU (a small PDF whose compressed pages expand to hundreds of
/// megabytes of text, HTML nested thousands deep); the defaults let real books and manuals through (a 1,000-page
/// technical PDF, a 5,000-abstract BEIR corpus). A file over a limit is refused with a
/// <see cref="DocumentRejectedException"/> naming the limit, and nothing of it is stored.
/// </summary>
public sealed class IngestionOptions
{
    /// <summary>The default <see cref="MaxFileSizeBytes"/>: 50 MB.</summary>
    public const long DefaultMaxFileSizeBytes = 50L * 1024 * 1024;

    /// <summary>
    /// Files larger than this many bytes are rejected with <see cref="DocumentRejectionReason.TooLarge"/>
    /// before they are parsed. Defaults to 50 MB. Must be positive.
    /// </summary>
    public long MaxFileSizeBytes { get; set; } = DefaultMaxFileSizeBytes;

    /// <summary>
    /// The most characters of text one document may hold (default 10,000,000, about 2,500 pages of a dense book).
    /// Plain text, Markdown and each line of a BEIR <c>.jsonl</c> count as read (markup included); HTML and PDF count
    /// the text extracted. Reading stops as soon as the limit is passed
    /// (<see cref="DocumentRejectionReason.TooManyCharacters"/>).
    /// </summary>
    public int MaxCharactersPerDocument { get; set; } = 10_000_000;

    /// <summary>
    /// The most pages a PDF may have (default 5,000); checked before any page is read
    /// (<see cref="DocumentRejectionReason.TooManyPages"/>).
    /// </summary>
    public int MaxPagesPerDocument { get; set; } = 5_000;

    /// <summary>
    /// The most chunks one document may be cut into (default 20,000; a 10-million-character English document makes
    /// about 14,000). Each chunk is embedded, so this bounds the model time one document takes
    /// (<see cref="DocumentRejectionReason.TooManyChunks"/>).
    /// </summary>
    public int MaxChunksPerDocument { get; set; } = 20_000;

    /// <summary>
    /// The most documents one multi-document file (a BEIR <c>.jsonl</c> corpus) may hold (default 100,000;
    /// <see cref="DocumentRejectionReason.TooManyDocuments"/>).
    /// </summary>
    public int MaxDocumentsPerFile { get; set; } = 100_000;

    /// <summary>
    /// How deep HTML elements (in <c>.html</c> files and in HTML inside Markdown) and Markdown blocks may nest
    /// (default 256; real pages rarely pass 40). Deeper nesting is refused as soon as the parser meets it
    /// (<see cref="DocumentRejectionReason.TooComplex"/>): past a few hundred levels HTML parsing slows to a crawl.
    /// </summary>
    public int MaxNestingDepth { get; set; } = 256;

    /// <summary>
    /// The most elements an HTML file may have (default 250,000, about 6 MB of ordinary markup); each costs about
    /// 800 bytes while the page is parsed (<see cref="DocumentRejectionReason.TooComplex"/>).
    /// </summary>
    public int MaxHtmlElements { get; set; } = 250_000;

    /// <summary>
    /// The longest one file's extraction may take (default 2 minutes); a file still being read then is refused
    /// (<see cref="DocumentRejectionReason.TimedOut"/>). Positive, at most 1 hour.
    /// </summary>
    public TimeSpan MaxExtractionTime { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// The most bytes one PDF stream (page content, font, object stream) may decompress to (default 32 MiB). Checked
    /// while inflating, before the bytes are kept (<see cref="DocumentRejectionReason.DecompressedTooLarge"/>).
    /// </summary>
    public long MaxPdfStreamBytes { get; set; } = 32L * 1024 * 1024;

    /// <summary>
    /// The most characters one PDF page may show, counted from its content (and the forms it draws) before the page
    /// is parsed (default 100,000; a dense page holds 3,000 to 6,000). Parsing a page costs about 400 bytes per
    /// character (<see cref="DocumentRejectionReason.TooManyCharacters"/>).
    /// </summary>
    public int MaxPdfPageCharacters { get; set; } = 100_000;

    /// <summary>
    /// The most content operations (text, path, state) one PDF page may run, forms included, counted before the page
    /// is parsed (default 500,000; about 200 bytes each while the page is parsed;
    /// <see cref="DocumentRejectionReason.TooComplex"/>).
    /// </summary>
    public int MaxPdfPageOperations { get; set; } = 500_000;

    /// <summary>
    /// A backstop for what the limits above cannot see: the most bytes the PDF parser may allocate while opening the
    /// document (its cross-reference table and page tree) or while reading any one page (default 1 GiB). Checked
    /// whenever the parser reads from the file or decompresses a stream (<see cref="DocumentRejectionReason.TooComplex"/>).
    /// </summary>
    public long MaxPdfParseAllocationBytes { get; set; } = 1L << 30;

    /// <summary>
    /// A plain text file uses its first non-empty line as title when that line has at most this many characters;
    /// otherwise the file name (without extension) is the title. Defaults to 120.
    /// </summary>
    public int MaxTextTitleLength { get; set; } = 120;

    /// <summary>
    /// A text file (.txt, .md, .jsonl, .html) is considered binary, and rejected, when more than this fraction of
    /// the characters in its first 8 KB are control characters other than tab, line feed, carriage return and form feed.
    /// A NUL character always marks the file as binary. Defaults to 0.05.
    /// </summary>
    public double MaxControlCharacterRatio { get; set; } = 0.05;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/>, naming the option, when an option is out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxFileSizeBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxCharactersPerDocument);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxPagesPerDocument);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxChunksPerDocument);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxDocumentsPerFile);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxNestingDepth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxHtmlElements);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(MaxExtractionTime, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxExtractionTime, TimeSpan.FromHours(1));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxPdfStreamBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxPdfPageCharacters);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxPdfPageOperations);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxPdfParseAllocationBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxTextTitleLength);
        ArgumentOutOfRangeException.ThrowIfNegative(MaxControlCharacterRatio);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxControlCharacterRatio, 1.0);
    }
}
