namespace TenantRag.Rag.Ingestion;

/// <summary>Limits and knobs for document extraction.</summary>
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

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> when an option is out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxFileSizeBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxTextTitleLength);
        ArgumentOutOfRangeException.ThrowIfNegative(MaxControlCharacterRatio);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxControlCharacterRatio, 1.0);
    }
}
