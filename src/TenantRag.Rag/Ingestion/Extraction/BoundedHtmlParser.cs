using AngleSharp.Dom;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;
using AngleSharp.Text;

namespace TenantRag.Rag.Ingestion.Extraction;

/// <summary>
/// AngleSharp's HTML parser with limits: at most <see cref="IngestionOptions.MaxHtmlElements"/> elements nested at most
/// <see cref="IngestionOptions.MaxNestingDepth"/> deep, checked as each element is created, so a file past either is
/// refused before the parser spends its time (past about 500 levels every new element costs it a tree walk: 1 MB of
/// nested <c>&lt;div&gt;</c> took 51 s).
/// </summary>
internal sealed class BoundedHtmlParser
{
    private readonly string _fileName;
    private readonly int _maxDepth;
    private readonly int _maxElements;
    private readonly HtmlParser _parser;
    private IElement? _last;
    private int _elements;

    /// <summary>A parser for one file (it counts that file's elements).</summary>
    public BoundedHtmlParser(string fileName, IngestionOptions options)
    {
        _fileName = fileName;
        _maxDepth = options.MaxNestingDepth;
        _maxElements = options.MaxHtmlElements;
        _parser = new HtmlParser(new HtmlParserOptions { OnCreated = OnCreated });
    }

    /// <summary>Parses text, checking <paramref name="cancellationToken"/> as it goes.</summary>
    public async Task<IHtmlDocument> ParseAsync(string html, CancellationToken cancellationToken) =>
        Finish(await _parser.ParseDocumentAsync(html, cancellationToken).ConfigureAwait(false));

    /// <summary>Parses bytes in an encoding AngleSharp detects (BOM, <c>&lt;meta charset&gt;</c>, else windows-1252).</summary>
    public async Task<IHtmlDocument> ParseAsync(Stream html, CancellationToken cancellationToken) =>
        Finish(await _parser.ParseDocumentAsync(html, cancellationToken).ConfigureAwait(false));

    /// <summary>Parses a fragment of text (HTML inside Markdown).</summary>
    public IHtmlDocument Parse(string html) => Finish(_parser.ParseDocument(html));

    // The element created before this one is in the tree by now: its depth is known.
    private void OnCreated(IElement element, TextPosition position)
    {
        if (++_elements > _maxElements)
        {
            throw new DocumentRejectedException(
                _fileName,
                DocumentRejectionReason.TooComplex,
                LimitRejections.Format($"the HTML has more than {_maxElements:N0} elements, the most that is parsed; split the page, or raise the setting Ingestion:{nameof(IngestionOptions.MaxHtmlElements)}"));
        }

        CheckDepth(_last);
        _last = element;
    }

    private IHtmlDocument Finish(IHtmlDocument document)
    {
        try
        {
            CheckDepth(_last);
        }
        catch
        {
            document.Dispose();
            throw;
        }

        _last = null;
        return document;
    }

    private void CheckDepth(IElement? element)
    {
        var depth = 0;
        for (var node = element; node is not null; node = node.ParentElement)
        {
            if (++depth > _maxDepth)
            {
                throw LimitRejections.TooDeep(_fileName, "HTML elements", _maxDepth);
            }
        }
    }
}
