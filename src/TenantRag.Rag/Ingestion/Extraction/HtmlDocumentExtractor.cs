using System.Collections.Frozen;
using System.Text;
using AngleSharp.Dom;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;

namespace TenantRag.Rag.Ingestion.Extraction;

/// <summary>
/// Extracts the readable text of HTML pages (.html, .htm) with AngleSharp. Scripts, styles, navigation, headers,
/// footers, asides, forms, iframes, SVG, dialogs, menus and hidden elements (the <c>hidden</c> attribute,
/// <c>aria-hidden="true"</c>, an inline <c>display: none</c> or <c>visibility: hidden</c>) are dropped, and so are
/// their ARIA equivalents (<c>role="navigation"</c>, <c>"dialog"</c>, ...). A page with one <c>&lt;main&gt;</c> (or
/// <c>role="main"</c>) element is read from it alone: the rest is the site's chrome around the content (a help popup
/// that only the site's stylesheet hides, a menu bar naming the site), repeated on every page. h1-h6 start sections;
/// block elements separate paragraphs; whitespace is normalised. The title comes from &lt;title&gt;, else the first h1, else the file name.
/// UTF-8 is assumed; other encodings are detected by AngleSharp from the BOM or &lt;meta charset&gt;. Nesting depth,
/// element count and extracted text are bounded by <see cref="IngestionOptions"/>. A page with no body text is refused
/// (<see cref="DocumentRejectionReason.NoExtractableText"/>), and so is a page that only sends the reader elsewhere: a
/// <c>&lt;meta http-equiv="refresh"&gt;</c> naming an address, with at most <see cref="MaxRedirectPageWords"/> words of
/// its own ("Redirecting to ...", as mdBook and rustdoc write them) (<see cref="DocumentRejectionReason.RedirectOnly"/>).
/// </summary>
public sealed class HtmlDocumentExtractor : IDocumentExtractor
{
    /// <summary>
    /// The most words of body text a page that redirects may have and still be refused as only a redirect. A page with
    /// more says something of its own (a notice with an explanation, an article that moves on after a while) and is kept.
    /// </summary>
    public const int MaxRedirectPageWords = 50;

    private const string NoiseSelector =
        "script, style, noscript, template, nav, header, footer, aside, form, iframe, frame, frameset, svg, math, canvas, " +
        "object, embed, applet, audio, video, map, button, select, dialog, link, meta, [hidden], [aria-hidden='true' i], " +
        "[aria-modal='true' i], [role='dialog' i], [role='alertdialog' i], [role='navigation' i], [role='banner' i], " +
        "[role='contentinfo' i], [role='complementary' i], [role='search' i], [role='menu' i], [role='menubar' i], " +
        // mdBook's keyboard-help popup and menu bar, for a page that has them but no <main>.
        "#mdbook-help-container, #mdbook-menu-bar";

    private static readonly FrozenSet<string> BlockElements = FrozenSet.ToFrozenSet(
    [
        "address", "article", "blockquote", "body", "caption", "center", "dd", "details", "div", "dl", "dt", "fieldset",
        "figcaption", "figure", "hr", "html", "li", "main", "menu", "ol", "p", "section", "summary", "table", "tbody",
        "td", "tfoot", "th", "thead", "tr", "ul",
    ], StringComparer.OrdinalIgnoreCase);

    private static readonly FrozenSet<string> TableContentElements = FrozenSet.ToFrozenSet(
    [
        "address", "article", "blockquote", "div", "dl", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ol", "p", "pre",
        "section", "table", "ul",
    ], StringComparer.OrdinalIgnoreCase);

    private readonly IngestionOptions _options;

    /// <summary>Creates the extractor.</summary>
    /// <param name="options">Ingestion options (limits); defaults are used when <see langword="null"/>.</param>
    public HtmlDocumentExtractor(IngestionOptions? options = null)
    {
        _options = options ?? new IngestionOptions();
    }

    /// <inheritdoc />
    public IReadOnlyCollection<string> SupportedExtensions { get; } = [".html", ".htm"];

    /// <inheritdoc />
    public string MediaType => "text/html";

    /// <inheritdoc />
    /// <remarks>The content must be seekable: a file that is not UTF-8 is read again for AngleSharp to detect its encoding.</remarks>
    public async Task<ExtractionResult> ExtractAsync(Stream content, string fileName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(fileName);
        using var document = await ParseAsync(new BoundedHtmlParser(fileName, _options), content, fileName, cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();

        // Read before the noise (meta elements among it) is removed.
        var redirects = document.QuerySelectorAll("meta[http-equiv]").Any(meta =>
            string.Equals(meta.GetAttribute("http-equiv")?.Trim(), "refresh", StringComparison.OrdinalIgnoreCase) && RefreshNamesAddress(meta.GetAttribute("content")));

        var hiddenByStyle = document.QuerySelectorAll("[style]").Where(e => HiddenByStyle(e.GetAttribute("style")));
        foreach (var noise in document.QuerySelectorAll(NoiseSelector).Concat(hiddenByStyle).ToArray())
        {
            noise.Remove();
        }

        var main = MainContent(document);
        var firstH1 = main.QuerySelector("h1");
        var title = TextContent.CollapseWhitespace(document.Title ?? string.Empty);
        var titleIsFirstH1 = false;
        if (title.Length == 0 && firstH1 is not null)
        {
            title = TextContent.CollapseWhitespace(firstH1.TextContent);
            titleIsFirstH1 = true;
        }
        else if (firstH1 is not null)
        {
            titleIsFirstH1 = string.Equals(TextContent.CollapseWhitespace(firstH1.TextContent), title, StringComparison.OrdinalIgnoreCase);
        }

        if (title.Length == 0)
        {
            title = TextContent.TitleFromFileName(fileName);
        }

        var walker = new Walker(titleIsFirstH1 ? firstH1 : null, new SectionAccumulator(fileName, _options.MaxCharactersPerDocument));
        walker.Visit(main);
        var sections = walker.Finish();
        if (redirects && sections.Sum(s => CountWords(s.Text)) <= MaxRedirectPageWords)
        {
            throw new DocumentRejectedException(fileName, DocumentRejectionReason.RedirectOnly,
                "the page only redirects to another address (<meta http-equiv=\"refresh\">) and has no text of its own; upload the page it redirects to");
        }

        if (sections.Count == 0)
        {
            throw new DocumentRejectedException(fileName, DocumentRejectionReason.NoExtractableText,
                "the page has no body text (only a title, scripts, styles, navigation or hidden elements)");
        }

        return new ExtractionResult
        {
            Documents = [new ExtractedDocument { Title = title, SourceFileName = fileName, Sections = sections }],
        };
    }

    /// <summary>
    /// Whether a refresh's <c>content</c> names an address, as the HTML standard reads it ("declarative refresh"): a
    /// delay (digits and dots), then after ';' or ',' an address, optionally written <c>url=</c> and quoted. A delay
    /// alone only reloads the page; text without a delay is ignored by browsers, and here too.
    /// </summary>
    internal static bool RefreshNamesAddress(string? content)
    {
        const string Whitespace = " \t\n\f\r";
        var rest = (content ?? string.Empty).AsSpan().TrimStart(Whitespace);
        var afterDelay = rest.IndexOfAnyExcept("0123456789.");
        if (afterDelay <= 0)
        {
            return false;
        }

        rest = rest[afterDelay..].TrimStart(Whitespace);
        if (rest.Length > 0 && rest[0] is ';' or ',')
        {
            rest = rest[1..].TrimStart(Whitespace);
        }

        if (rest.StartsWith("url", StringComparison.OrdinalIgnoreCase) && rest[3..].TrimStart(Whitespace) is ['=', .. var address])
        {
            rest = address.TrimStart(Whitespace);
        }

        return rest.Trim(Whitespace).Trim("'\"").Length > 0;
    }

    /// <summary>
    /// Whether an inline style hides the element: a <c>display</c> of <c>none</c> or a <c>visibility</c> of
    /// <c>hidden</c> or <c>collapse</c> (case aside, <c>!important</c> or not). Only the element's own style counts: a
    /// stylesheet is not read.
    /// </summary>
    internal static bool HiddenByStyle(string? style)
    {
        foreach (var declaration in (style ?? string.Empty).Split(';'))
        {
            var colon = declaration.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                continue;
            }

            var property = declaration[..colon].Trim();
            var value = declaration[(colon + 1)..].Replace("!important", string.Empty, StringComparison.OrdinalIgnoreCase).Trim();
            if ((property.Equals("display", StringComparison.OrdinalIgnoreCase) && value.Equals("none", StringComparison.OrdinalIgnoreCase))
                || (property.Equals("visibility", StringComparison.OrdinalIgnoreCase)
                    && (value.Equals("hidden", StringComparison.OrdinalIgnoreCase) || value.Equals("collapse", StringComparison.OrdinalIgnoreCase))))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The element that holds the page's content: its one <c>&lt;main&gt;</c> (or <c>role="main"</c>) element left
    /// after the noise is gone (the HTML standard allows one shown, and it is "the dominant contents of the document"),
    /// else the whole body. With two or more, the page does not say which, so nothing is cut.
    /// </summary>
    private static IElement MainContent(IHtmlDocument document)
    {
        var root = document.Body ?? document.DocumentElement;
        var mains = root.QuerySelectorAll("main, [role='main' i]");
        var outermost = mains.Where(m => !mains.Any(other => other != m && other.Contains(m))).Take(2).ToArray();
        return outermost.Length == 1 ? outermost[0] : root;
    }

    private static int CountWords(string text)
    {
        var words = 0;
        var inWord = false;
        foreach (var c in text)
        {
            var letter = !char.IsWhiteSpace(c);
            words += letter && !inWord ? 1 : 0;
            inWord = letter;
        }

        return words;
    }

    private static async Task<IHtmlDocument> ParseAsync(BoundedHtmlParser parser, Stream content, string fileName, CancellationToken cancellationToken)
    {
        var start = content.Position;
        var bom = new byte[2];
        await content.ReadAtLeastAsync(bom, bom.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        content.Position = start;
        if (bom is [0xFF, 0xFE] or [0xFE, 0xFF])
        {
            return await parser.ParseAsync(content, cancellationToken).ConfigureAwait(false);
        }

        string text;
        try
        {
            // Markup is not text: the extracted text is held to the character limit (in the walker), the page only to the
            // file size. HTML may hold control characters, so the binary sniff is off; a NUL byte still refuses it.
            text = await new Utf8TextReader(content, fileName, maxControlCharacterRatio: 1)
                .ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DocumentRejectedException ex) when (ex.Reason == DocumentRejectionReason.InvalidEncoding)
        {
            // Not UTF-8: let AngleSharp sniff the <meta charset> (falls back to windows-1252).
            content.Position = start;
            return await parser.ParseAsync(content, cancellationToken).ConfigureAwait(false);
        }

        return await parser.ParseAsync(text, cancellationToken).ConfigureAwait(false);
    }

    private sealed class Walker(IElement? titleHeading, SectionAccumulator sections)
    {
        private readonly SectionAccumulator _sections = sections;
        private readonly StringBuilder _inline = new();

        public IReadOnlyList<DocumentSection> Finish()
        {
            FlushParagraph();
            return _sections.Build();
        }

        public void Visit(INode node)
        {
            foreach (var child in node.ChildNodes)
            {
                switch (child)
                {
                    case IText text:
                        // Source line breaks are just whitespace in HTML; only <br> breaks a line.
                        _inline.Append(text.Data.Replace('\n', ' '));
                        break;
                    case IElement element:
                        VisitElement(element);
                        break;
                }
            }
        }

        private void VisitElement(IElement element)
        {
            var name = element.LocalName;
            if (name.Length == 2 && name[0] == 'h' && name[1] is >= '1' and <= '6')
            {
                FlushParagraph();
                _sections.StartHeading(name[1] - '0', TextContent.CollapseWhitespace(element.TextContent), ReferenceEquals(element, titleHeading));
                return;
            }

            switch (name)
            {
                case "br":
                    _inline.Append('\n');
                    return;
                case "pre":
                    FlushParagraph();
                    _sections.AddParagraph(TextContent.NormalizeBlockText(element.TextContent));
                    return;
                case "table" when !HasBlockContent(element):
                    FlushParagraph();
                    _sections.AddParagraph(DataTableText(element));
                    return;
                case "img":
                    return;
            }

            if (BlockElements.Contains(name))
            {
                FlushParagraph();
                Visit(element);
                FlushParagraph();
            }
            else
            {
                Visit(element);
                if (name is "td" or "th")
                {
                    _inline.Append(' ');
                }
            }
        }

        private static bool HasBlockContent(IElement table) =>
            table.Descendants<IElement>().Any(e => TableContentElements.Contains(e.LocalName));

        private static string DataTableText(IElement table)
        {
            var rows = table.QuerySelectorAll("tr")
                .Select(row => string.Join("; ", row.Children
                    .Where(cell => cell.LocalName is "td" or "th")
                    .Select(cell => TextContent.CollapseWhitespace(cell.TextContent))
                    .Where(cell => cell.Length > 0)))
                .Where(row => row.Length > 0);
            return string.Join('\n', rows);
        }

        private void FlushParagraph()
        {
            if (_inline.Length == 0)
            {
                return;
            }

            var lines = _inline.ToString().Split('\n').Select(l => TextContent.CollapseWhitespace(l)).Where(l => l.Length > 0);
            _sections.AddParagraph(string.Join('\n', lines));
            _inline.Clear();
        }
    }
}
