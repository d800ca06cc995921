using System.Globalization;
using System.Text.Json;

namespace TenantRag.Rag.Evaluation;

public static partial class BeirDatasetLoader
{
    private static async Task<List<BeirDocument>> ReadCorpusAsync(string path, CancellationToken cancellationToken)
    {
        var documents = new List<BeirDocument>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var (number, line) in ReadLinesAsync(path, cancellationToken).ConfigureAwait(false))
        {
            using var json = ParseObject(path, number, line);
            var root = json.RootElement;
            var id = ReadId(path, number, root);
            var title = ReadString(path, number, root, "title", required: false);
            var text = ReadString(path, number, root, "text", required: true);
            if (!seen.Add(id))
            {
                throw EvaluationDataException.AtLine(path, number, $"duplicate _id '{id}'");
            }

            documents.Add(new BeirDocument { Id = id, Title = title.Trim(), Text = text });
        }

        return documents;
    }

    private static async Task<List<BeirQuery>> ReadQueriesAsync(string path, CancellationToken cancellationToken)
    {
        var queries = new List<BeirQuery>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var (number, line) in ReadLinesAsync(path, cancellationToken).ConfigureAwait(false))
        {
            using var json = ParseObject(path, number, line);
            var id = ReadId(path, number, json.RootElement);
            var text = ReadString(path, number, json.RootElement, "text", required: true).Trim();
            if (text.Length == 0)
            {
                throw EvaluationDataException.AtLine(path, number, $"query '{id}' has an empty \"text\"");
            }

            if (!seen.Add(id))
            {
                throw EvaluationDataException.AtLine(path, number, $"duplicate _id '{id}'");
            }

            queries.Add(new BeirQuery { Id = id, Text = text });
        }

        return queries;
    }

    private static async Task<Dictionary<string, IReadOnlyDictionary<string, int>>> ReadQrelsAsync(
        string path, HashSet<string> queryIds, HashSet<string> documentIds, CancellationToken cancellationToken)
    {
        var qrels = new Dictionary<string, Dictionary<string, int>>(StringComparer.Ordinal);
        await foreach (var (number, fields) in ReadTsvAsync(path, 3, "query-id", cancellationToken).ConfigureAwait(false))
        {
            var (queryId, documentId, scoreText) = (fields[0], fields[1], fields[2]);
            if (!int.TryParse(scoreText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var score))
            {
                throw EvaluationDataException.AtLine(path, number, $"score '{scoreText}' is not an integer");
            }

            if (!queryIds.Contains(queryId))
            {
                throw EvaluationDataException.AtLine(path, number, $"query '{queryId}' is not in the queries file");
            }

            if (!documentIds.Contains(documentId))
            {
                throw EvaluationDataException.AtLine(path, number, $"document '{documentId}' is not in {BeirSplits.CorpusFile}");
            }

            if (!qrels.TryGetValue(queryId, out var judged))
            {
                qrels[queryId] = judged = new Dictionary<string, int>(StringComparer.Ordinal);
            }

            if (!judged.TryAdd(documentId, score))
            {
                throw EvaluationDataException.AtLine(path, number, $"query '{queryId}' judges document '{documentId}' a second time");
            }
        }

        if (qrels.Count == 0)
        {
            throw new EvaluationDataException($"{Path.GetFileName(path)} has no judgements: nothing can be scored (in {path})");
        }

        return qrels.ToDictionary(p => p.Key, p => (IReadOnlyDictionary<string, int>)p.Value, StringComparer.Ordinal);
    }

    private static async Task<Dictionary<string, string>> ReadTenantsAsync(
        string path, string idHeader, HashSet<string> knownIds, string kind, CancellationToken cancellationToken)
    {
        var tenants = new Dictionary<string, string>(StringComparer.Ordinal);
        await foreach (var (number, fields) in ReadTsvAsync(path, 2, idHeader, cancellationToken).ConfigureAwait(false))
        {
            var (id, tenant) = (fields[0], fields[1]);
            if (!knownIds.Contains(id))
            {
                throw EvaluationDataException.AtLine(path, number, $"{kind} '{id}' is not in the {(kind == "document" ? BeirSplits.CorpusFile : "queries file")}");
            }

            if (tenant.Length == 0)
            {
                throw EvaluationDataException.AtLine(path, number, $"{kind} '{id}' has an empty tenant");
            }

            if (!tenants.TryAdd(id, tenant))
            {
                throw EvaluationDataException.AtLine(path, number, $"{kind} '{id}' is given a tenant a second time");
            }
        }

        return tenants;
    }

    /// <summary>Non-blank lines with their 1-based numbers; LF, CRLF and CR all end a line.</summary>
    internal static async IAsyncEnumerable<(int Number, string Line)> ReadLinesAsync(
        string path, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(path, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        var number = 0;
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            number++;
            if (!string.IsNullOrWhiteSpace(line))
            {
                yield return (number, line);
            }
        }
    }

    /// <summary>Tab-separated rows of exactly <paramref name="columns"/> fields; a first line starting with <paramref name="header"/> is the header.</summary>
    private static async IAsyncEnumerable<(int Number, string[] Fields)> ReadTsvAsync(
        string path, int columns, string header, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var (number, line) in ReadLinesAsync(path, cancellationToken).ConfigureAwait(false))
        {
            var fields = line.Split('\t');
            if (number == 1 && string.Equals(fields[0].Trim(), header, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (fields.Length != columns)
            {
                throw EvaluationDataException.AtLine(path, number,
                    $"expected {columns} tab-separated fields but found {fields.Length}");
            }

            for (var i = 0; i < fields.Length; i++)
            {
                fields[i] = fields[i].Trim();
            }

            if (fields[0].Length == 0)
            {
                throw EvaluationDataException.AtLine(path, number, "the first field (an id) is empty");
            }

            yield return (number, fields);
        }
    }

    internal static JsonDocument ParseObject(string path, int number, string line)
    {
        JsonDocument json;
        try
        {
            json = JsonDocument.Parse(line);
        }
        catch (JsonException ex)
        {
            throw EvaluationDataException.AtLine(path, number, $"invalid JSON at character {ex.BytePositionInLine ?? 0}");
        }

        if (json.RootElement.ValueKind != JsonValueKind.Object)
        {
            var kind = json.RootElement.ValueKind;
            json.Dispose();
            throw EvaluationDataException.AtLine(path, number, $"expected a JSON object but found {kind}");
        }

        return json;
    }

    // The same rule as the BEIR corpus extractor, so an evaluation id matches the stored external id.
    internal static string ReadId(string path, int number, JsonElement root)
    {
        if (!root.TryGetProperty("_id", out var element))
        {
            throw EvaluationDataException.AtLine(path, number, "missing \"_id\"");
        }

        var id = element.ValueKind switch
        {
            JsonValueKind.String => element.GetString()!.Trim(),
            JsonValueKind.Number => element.GetRawText(),
            _ => null,
        };
        return string.IsNullOrEmpty(id)
            ? throw EvaluationDataException.AtLine(path, number, "\"_id\" must be a non-empty string or a number")
            : id;
    }

    internal static string ReadString(string path, int number, JsonElement root, string name, bool required)
    {
        if (!root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return required ? throw EvaluationDataException.AtLine(path, number, $"missing \"{name}\"") : string.Empty;
        }

        return element.ValueKind == JsonValueKind.String
            ? element.GetString()!
            : throw EvaluationDataException.AtLine(path, number, $"\"{name}\" must be a string, not {element.ValueKind}");
    }
}
