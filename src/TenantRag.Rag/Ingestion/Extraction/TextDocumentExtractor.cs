namespace TenantRag.Rag.Ingestion.Extraction;

/// <summary>
/// Extracts UTF-8 plain text (.txt). The title is the first non-empty line when it is short
/// (see <see cref="IngestionOptions.MaxTextTitleLength"/>), otherwise the file name.
/// Invalid UTF-8, binary content and files past <see cref="IngestionOptions.MaxCharactersPerDocument"/> are rejected.
/// </summary>
public sealed class TextDocumentExtractor : IDocumentExtractor
{
    private readonly IngestionOptions _options;

    /// <summary>Creates the extractor.</summary>
    /// <param name="options">Ingestion options; defaults are used when <see langword="null"/>.</param>
    public TextDocumentExtractor(IngestionOptions? options = null)
    {
        _options = options ?? new IngestionOptions();
    }

    /// <inheritdoc />
    public IReadOnlyCollection<string> SupportedExtensions { get; } = [".txt", ".text"];

    /// <inheritdoc />
    public string MediaType => "text/plain";

    /// <inheritdoc />
    public async Task<ExtractionResult> ExtractAsync(Stream content, string fileName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(fileName);
        var max = _options.MaxCharactersPerDocument;
        var text = TextContent.NormalizeBlockText(await new Utf8TextReader(content, fileName, _options.MaxControlCharacterRatio)
            .ReadToEndAsync(max, () => LimitRejections.TooManyCharacters(fileName, max), cancellationToken).ConfigureAwait(false));

        var firstLineEnd = text.IndexOf('\n', StringComparison.Ordinal);
        var firstLine = (firstLineEnd < 0 ? text : text[..firstLineEnd]).Trim();
        var title = firstLine.Length > 0 && firstLine.Length <= _options.MaxTextTitleLength
            ? firstLine
            : TextContent.TitleFromFileName(fileName);

        IReadOnlyList<DocumentSection> sections = text.Length == 0 ? [] : [new DocumentSection { Text = text }];
        return new ExtractionResult
        {
            Documents = [new ExtractedDocument { Title = title, SourceFileName = fileName, Sections = sections }],
        };
    }
}
