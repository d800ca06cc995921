using System.Text;
using System.Text.Json;

namespace TenantRag.Rag.Ingestion.Extraction;

/// <summary>
/// Extracts a BEIR corpus file (.jsonl): every line is a JSON object <c>{"_id": ..., "title": ..., "text": ...}</c>
/// and becomes its own document, with <c>_id</c> as <see cref="ExtractedDocument.ExternalId"/>. The title falls back
/// to the id; an empty text falls back to the title. Malformed lines, and documents over
/// <see cref="IngestionOptions.MaxCharactersPerDocument"/>, are skipped and reported as issues with their line number;
/// blank lines are ignored. The file is read a line at a time and may hold at most
/// <see cref="IngestionOptions.MaxDocumentsPerFile"/> documents.
/// </summary>
public sealed class BeirJsonlDocumentExtractor : IDocumentExtractor
{
    private static readonly JsonDocumentOptions JsonOptions = new() { AllowTrailingCommas = false, MaxDepth = 16 };

    private readonly IngestionOptions _options;

    /// <summary>Creates the extractor.</summary>
    /// <param name="options">Ingestion options; defaults are used when <see langword="null"/>.</param>
    public BeirJsonlDocumentExtractor(IngestionOptions? options = null)
    {
        _options = options ?? new IngestionOptions();
    }

    /// <inheritdoc />
    public IReadOnlyCollection<string> SupportedExtensions { get; } = [".jsonl"];

    /// <inheritdoc />
    public string MediaType => "application/x-ndjson";

    /// <inheritdoc />
    public async Task<ExtractionResult> ExtractAsync(Stream content, string fileName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(fileName);
        var max = _options.MaxCharactersPerDocument;

        // A line is one document's JSON: its text, escaped at most six characters to one, and a little more.
        var maxLine = (int)Math.Min(Array.MaxLength, (6L * max) + (64 * 1024));
        var reader = new Utf8TextReader(content, fileName, _options.MaxControlCharacterRatio);
        var documents = new List<ExtractedDocument>();
        var issues = new List<ExtractionIssue>();
        var seenIds = new HashSet<string>(StringComparer.Ordinal);
        var lineNumber = 0;
        while (await reader.ReadLineAsync(maxLine, () => LimitRejections.TooManyCharacters(fileName, max), cancellationToken).ConfigureAwait(false) is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            var (document, problem) = ParseLine(line, fileName, max);
            // Its size is its line's, without the line break (CR LF or LF).
            document = document is null ? null : document with { ByteSize = Encoding.UTF8.GetByteCount(line.AsSpan().TrimEnd('\r')) };
            if (problem is not null)
            {
                issues.Add(new ExtractionIssue { LineNumber = lineNumber, Reason = problem });
            }
            else if (!seenIds.Add(document!.ExternalId!))
            {
                issues.Add(new ExtractionIssue { LineNumber = lineNumber, Reason = $"duplicate _id '{document.ExternalId}'; line skipped" });
            }
            else if (documents.Count == _options.MaxDocumentsPerFile)
            {
                throw LimitRejections.TooManyDocuments(fileName, _options.MaxDocumentsPerFile);
            }
            else
            {
                documents.Add(document);
            }
        }

        return new ExtractionResult { Documents = documents, Issues = issues };
    }

    private static (ExtractedDocument? Document, string? Problem) ParseLine(string line, string fileName, int maxCharacters)
    {
        JsonDocument json;
        try
        {
            json = JsonDocument.Parse(line, JsonOptions);
        }
        catch (JsonException ex)
        {
            return (null, $"invalid JSON at character {ex.BytePositionInLine ?? 0}");
        }

        using (json)
        {
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, $"expected a JSON object but found {root.ValueKind}");
            }

            if (!root.TryGetProperty("_id", out var idElement))
            {
                return (null, "missing \"_id\"");
            }

            var id = idElement.ValueKind switch
            {
                JsonValueKind.String => idElement.GetString()!.Trim(),
                JsonValueKind.Number => idElement.GetRawText(),
                _ => null,
            };
            if (string.IsNullOrEmpty(id))
            {
                return (null, "\"_id\" must be a non-empty string or a number");
            }

            if (!TryGetOptionalString(root, "title", out var title))
            {
                return (null, "\"title\" must be a string");
            }

            if (!root.TryGetProperty("text", out _))
            {
                return (null, "missing \"text\"");
            }

            if (!TryGetOptionalString(root, "text", out var body))
            {
                return (null, "\"text\" must be a string");
            }

            title = TextContent.CollapseWhitespace(title);
            body = TextContent.NormalizeBlockText(body);
            if (body.Length == 0)
            {
                body = title;
            }

            if (body.Length == 0)
            {
                return (null, "both \"title\" and \"text\" are empty");
            }

            if ((long)title.Length + body.Length > maxCharacters)
            {
                return (null, LimitRejections.Format($"the document holds more than {maxCharacters:N0} characters of text, the most one document may hold (setting Ingestion:{nameof(IngestionOptions.MaxCharactersPerDocument)}); line skipped"));
            }

            var document = new ExtractedDocument
            {
                Title = title.Length > 0 ? title : id,
                SourceFileName = fileName,
                ExternalId = id,
                Sections = [new DocumentSection { Text = body }],
            };
            return (document, null);
        }
    }

    private static bool TryGetOptionalString(JsonElement root, string name, out string value)
    {
        value = string.Empty;
        if (!root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (element.ValueKind != JsonValueKind.String)
        {
            return false;
        }

        value = element.GetString() ?? string.Empty;
        return true;
    }
}
