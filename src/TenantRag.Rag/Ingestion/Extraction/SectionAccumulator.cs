namespace TenantRag.Rag.Ingestion.Extraction;

/// <summary>
/// Collects paragraphs under a heading hierarchy (levels 1-6) and emits <see cref="DocumentSection"/>s,
/// one per run of paragraphs under the same heading path. Sections without text are dropped. Refuses a document once
/// its paragraphs pass <see cref="IngestionOptions.MaxCharactersPerDocument"/>.
/// </summary>
internal sealed class SectionAccumulator(string fileName, int maxCharacters)
{
    private readonly List<DocumentSection> _sections = [];
    private readonly List<string> _paragraphs = [];
    private readonly string?[] _headings = new string?[6];
    private string? _headingPath;
    private long _characters;

    /// <summary>Starts a new section under a heading.</summary>
    /// <param name="level">The heading level, 1-6 (clamped).</param>
    /// <param name="text">The heading text.</param>
    /// <param name="isDocumentTitle">
    /// <see langword="true"/> for the heading that became the document title: it resets deeper headings
    /// but is not repeated in heading paths.
    /// </param>
    public void StartHeading(int level, string text, bool isDocumentTitle)
    {
        Flush();
        var index = Math.Clamp(level, 1, _headings.Length) - 1;
        _headings[index] = isDocumentTitle || string.IsNullOrWhiteSpace(text) ? null : text.Trim();
        Array.Clear(_headings, index + 1, _headings.Length - index - 1);
        var parts = _headings.Where(h => h is not null).ToArray();
        _headingPath = parts.Length == 0 ? null : string.Join(DocumentSection.HeadingSeparator, parts);
    }

    /// <summary>Adds a paragraph to the current section; blank text is ignored.</summary>
    /// <exception cref="DocumentRejectedException">The document's text passes the limit.</exception>
    public void AddParagraph(string text)
    {
        if (!string.IsNullOrWhiteSpace(text))
        {
            _characters += text.Length;
            if (_characters > maxCharacters)
            {
                throw LimitRejections.TooManyCharacters(fileName, maxCharacters);
            }

            _paragraphs.Add(text.Trim('\n', ' '));
        }
    }

    /// <summary>Closes the current section and returns all sections.</summary>
    public IReadOnlyList<DocumentSection> Build()
    {
        Flush();
        return _sections.ToArray();
    }

    private void Flush()
    {
        if (_paragraphs.Count == 0)
        {
            return;
        }

        _sections.Add(new DocumentSection { HeadingPath = _headingPath, Text = string.Join("\n\n", _paragraphs) });
        _paragraphs.Clear();
    }
}
