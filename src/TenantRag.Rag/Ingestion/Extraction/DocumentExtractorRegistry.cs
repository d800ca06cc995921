using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;

namespace TenantRag.Rag.Ingestion.Extraction;

/// <summary>Chooses the <see cref="IDocumentExtractor"/> for a file by its extension (case-insensitive).</summary>
public sealed class DocumentExtractorRegistry
{
    private readonly FrozenDictionary<string, IDocumentExtractor> _byExtension;

    /// <summary>Creates a registry over <paramref name="extractors"/>.</summary>
    /// <param name="extractors">The extractors; two may not claim the same extension.</param>
    /// <exception cref="ArgumentException">Two extractors claim the same extension, or an extension has no leading dot.</exception>
    public DocumentExtractorRegistry(IEnumerable<IDocumentExtractor> extractors)
    {
        ArgumentNullException.ThrowIfNull(extractors);
        var map = new Dictionary<string, IDocumentExtractor>(StringComparer.OrdinalIgnoreCase);
        foreach (var extractor in extractors)
        {
            foreach (var extension in extractor.SupportedExtensions)
            {
                if (extension.Length < 2 || extension[0] != '.')
                {
                    throw new ArgumentException($"Extension '{extension}' of {extractor.GetType().Name} must start with a dot.", nameof(extractors));
                }

                if (!map.TryAdd(extension, extractor))
                {
                    throw new ArgumentException($"Extension '{extension}' is claimed by both {map[extension].GetType().Name} and {extractor.GetType().Name}.", nameof(extractors));
                }
            }
        }

        _byExtension = map.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
        SupportedExtensions = [.. _byExtension.Keys.Select(k => k.ToLowerInvariant()).Order(StringComparer.Ordinal)];
    }

    /// <summary>The supported extensions (lower case, with the leading dot), sorted.</summary>
    public IReadOnlyList<string> SupportedExtensions { get; }

    /// <summary>
    /// Creates a registry with the built-in extractors: .txt/.text, .md/.markdown, .html/.htm, .pdf and BEIR .jsonl.
    /// </summary>
    /// <param name="options">Ingestion options passed to the extractors; defaults when <see langword="null"/>.</param>
    public static DocumentExtractorRegistry CreateDefault(IngestionOptions? options = null) =>
        new(
        [
            new TextDocumentExtractor(options),
            new MarkdownDocumentExtractor(options),
            new HtmlDocumentExtractor(options),
            new PdfDocumentExtractor(options),
            new BeirJsonlDocumentExtractor(options),
        ]);

    /// <summary>Finds the extractor for <paramref name="fileName"/>'s extension.</summary>
    /// <param name="fileName">A file name or path.</param>
    /// <param name="extractor">The extractor, when one handles the extension.</param>
    /// <returns><see langword="true"/> when the extension is supported.</returns>
    public bool TryGetExtractor(string fileName, [NotNullWhen(true)] out IDocumentExtractor? extractor)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        return _byExtension.TryGetValue(Path.GetExtension(fileName), out extractor);
    }

    /// <summary>Returns the extractor for <paramref name="fileName"/>'s extension.</summary>
    /// <param name="fileName">A file name or path.</param>
    /// <exception cref="UnsupportedDocumentException">No extractor handles the extension.</exception>
    public IDocumentExtractor GetExtractor(string fileName) =>
        TryGetExtractor(fileName, out var extractor)
            ? extractor
            : throw new UnsupportedDocumentException(fileName, Path.GetExtension(fileName), SupportedExtensions);
}
