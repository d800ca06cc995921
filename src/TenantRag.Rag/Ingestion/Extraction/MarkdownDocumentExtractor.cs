using System.Text;
using Markdig;
using Markdig.Extensions.Mathematics;
using Markdig.Extensions.Tables;
using Markdig.Extensions.Yaml;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace TenantRag.Rag.Ingestion.Extraction;

/// <summary>
/// Extracts Markdown (.md, .markdown) with Markdig. Each heading starts a section whose heading path lists the
/// enclosing headings (for example "Install > Linux"); the first H1 is the title and is not repeated in the paths.
/// Markup is removed: emphasis, links (their text is kept), images (alt text kept), HTML tags and comments, front matter.
/// Code blocks are kept verbatim, list items and table rows become lines. The file is held to
/// <see cref="IngestionOptions.MaxCharactersPerDocument"/> as it is read, and blocks, inlines and embedded HTML to
/// <see cref="IngestionOptions.MaxNestingDepth"/>.
/// </summary>
public sealed class MarkdownDocumentExtractor : IDocumentExtractor
{
    private readonly IngestionOptions _options;
    private readonly MarkdownPipeline _pipeline;

    /// <summary>Creates the extractor.</summary>
    /// <param name="options">Ingestion options; defaults are used when <see langword="null"/>.</param>
    public MarkdownDocumentExtractor(IngestionOptions? options = null)
    {
        _options = options ?? new IngestionOptions();
        _pipeline = new MarkdownPipelineBuilder { MaximumNestingDepth = _options.MaxNestingDepth }
            .UseAdvancedExtensions()
            .UseYamlFrontMatter()
            .Build();
    }

    /// <inheritdoc />
    public IReadOnlyCollection<string> SupportedExtensions { get; } = [".md", ".markdown"];

    /// <inheritdoc />
    public string MediaType => "text/markdown";

    /// <inheritdoc />
    public async Task<ExtractionResult> ExtractAsync(Stream content, string fileName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(fileName);
        var max = _options.MaxCharactersPerDocument;
        var text = await new Utf8TextReader(content, fileName, _options.MaxControlCharacterRatio)
            .ReadToEndAsync(max, () => LimitRejections.TooManyCharacters(fileName, max), cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();

        MarkdownDocument markdown;
        try
        {
            markdown = Markdown.Parse(text, _pipeline);
        }
        catch (ArgumentException)
        {
            // Markdig's own guard: "Markdown elements in the input are too deeply nested".
            throw LimitRejections.TooDeep(fileName, "Markdown blocks and inlines", _options.MaxNestingDepth);
        }

        var titleHeading = markdown.Descendants<HeadingBlock>().FirstOrDefault(h => h.Level == 1);
        var titleText = titleHeading is null ? string.Empty : RenderInlineText(titleHeading.Inline);
        var title = string.IsNullOrWhiteSpace(titleText) ? TextContent.TitleFromFileName(fileName) : TextContent.CollapseWhitespace(titleText);

        var html = new BoundedHtmlParser(fileName, _options);
        var sections = new SectionAccumulator(fileName, max);
        foreach (var block in markdown)
        {
            AddBlock(block, sections, titleHeading, html);
        }

        return new ExtractionResult
        {
            Documents = [new ExtractedDocument { Title = title, SourceFileName = fileName, Sections = sections.Build() }],
        };
    }

    private static void AddBlock(Block block, SectionAccumulator sections, HeadingBlock? titleHeading, BoundedHtmlParser html)
    {
        switch (block)
        {
            case HeadingBlock heading:
                sections.StartHeading(heading.Level, TextContent.CollapseWhitespace(RenderInlineText(heading.Inline)), ReferenceEquals(heading, titleHeading));
                break;
            case YamlFrontMatterBlock or ThematicBreakBlock or LinkReferenceDefinitionGroup or LinkReferenceDefinition or BlankLineBlock:
                break;
            case HtmlBlock htmlBlock:
                sections.AddParagraph(HtmlBlockText(htmlBlock, html));
                break;
            case QuoteBlock quote:
                foreach (var child in quote)
                {
                    AddBlock(child, sections, titleHeading, html);
                }

                break;
            case Table or ListBlock:
                sections.AddParagraph(RenderBlockText(block, html));
                break;
            case CodeBlock code:
                sections.AddParagraph(CodeText(code));
                break;
            case LeafBlock leaf:
                sections.AddParagraph(leaf.Inline is null ? CodeText(leaf) : RenderInlineText(leaf.Inline));
                break;
            case ContainerBlock container:
                foreach (var child in container)
                {
                    AddBlock(child, sections, titleHeading, html);
                }

                break;
        }
    }

    /// <summary>Flattens nested blocks (list items, table cells) to lines of text.</summary>
    private static string RenderBlockText(Block block, BoundedHtmlParser htmlParser)
    {
        switch (block)
        {
            case YamlFrontMatterBlock or ThematicBreakBlock or LinkReferenceDefinitionGroup or LinkReferenceDefinition or BlankLineBlock:
                return string.Empty;
            case HtmlBlock html:
                return HtmlBlockText(html, htmlParser);
            case Table table:
                return JoinLines(table.OfType<TableRow>().Select(row =>
                    string.Join("; ", row.OfType<TableCell>().Select(cell => TextContent.CollapseWhitespace(RenderBlockText(cell, htmlParser))).Where(c => c.Length > 0))));
            case CodeBlock code:
                return CodeText(code);
            case LeafBlock leaf:
                return leaf.Inline is null ? CodeText(leaf) : RenderInlineText(leaf.Inline);
            case ContainerBlock container:
                return JoinLines(container.Select(child => RenderBlockText(child, htmlParser)));
            default:
                return string.Empty;
        }
    }

    /// <summary>The visible text of raw HTML embedded in Markdown (comments, scripts and styles give nothing).</summary>
    private static string HtmlBlockText(HtmlBlock html, BoundedHtmlParser parser)
    {
        if (html.Type is HtmlBlockType.Comment or HtmlBlockType.ProcessingInstruction or HtmlBlockType.DocumentType or HtmlBlockType.CData)
        {
            return string.Empty;
        }

        using var document = parser.Parse(html.Lines.ToString());
        foreach (var noise in document.QuerySelectorAll("script, style, noscript, template, svg").ToArray())
        {
            noise.Remove();
        }

        return TextContent.CollapseWhitespace(document.Body?.TextContent ?? string.Empty);
    }

    private static string JoinLines(IEnumerable<string> lines) =>
        string.Join('\n', lines.Where(l => !string.IsNullOrWhiteSpace(l)).Select(l => l.Trim('\n')));

    private static string CodeText(LeafBlock block) => TextContent.NormalizeBlockText(block.Lines.ToString());

    /// <summary>Renders inline content as plain text: soft breaks become spaces, hard breaks newlines.</summary>
    private static string RenderInlineText(ContainerInline? container)
    {
        if (container is null)
        {
            return string.Empty;
        }

        var builder = new StringBuilder();
        AppendInlines(container, builder);
        var lines = builder.ToString().Split('\n').Select(l => TextContent.CollapseWhitespace(l)).Where(l => l.Length > 0);
        return string.Join('\n', lines);
    }

    private static void AppendInlines(ContainerInline container, StringBuilder builder)
    {
        foreach (var inline in container)
        {
            switch (inline)
            {
                case LiteralInline literal:
                    builder.Append(literal.Content.AsSpan());
                    break;
                case CodeInline code:
                    builder.Append(code.Content);
                    break;
                case LineBreakInline lineBreak:
                    builder.Append(lineBreak.IsHard ? '\n' : ' ');
                    break;
                case HtmlEntityInline entity:
                    builder.Append(entity.Transcoded.AsSpan());
                    break;
                case AutolinkInline autolink:
                    builder.Append(autolink.Url);
                    break;
                case MathInline math:
                    builder.Append(math.Content.AsSpan());
                    break;
                case HtmlInline html:
                    if (html.Tag.StartsWith("<br", StringComparison.OrdinalIgnoreCase))
                    {
                        builder.Append('\n');
                    }

                    break;
                case ContainerInline child:
                    AppendInlines(child, builder);
                    break;
            }
        }
    }
}
