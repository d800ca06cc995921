namespace TenantRag.Rag.Evaluation;

/// <summary>
/// Loads a BEIR-format directory (<c>corpus.jsonl</c>, a queries file, a qrels file and optionally the tenant files)
/// and checks it whole before anything is ingested: a missing directory or file, a malformed line, a duplicate id, or
/// an id a judgement or tenant line names that does not exist is an <see cref="EvaluationDataException"/> naming the
/// file and line. Line ends may be LF or CRLF (BEIR's qrels keep CRLF).
/// </summary>
public static partial class BeirDatasetLoader
{
    /// <summary>Loads <paramref name="directory"/>'s corpus and <paramref name="split"/>; with <paramref name="withTenants"/>, its tenant files too.</summary>
    public static async Task<BeirDataset> LoadAsync(string directory, BeirSplit split, bool withTenants, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (!System.IO.Directory.Exists(directory))
        {
            throw new EvaluationDataException(
                $"--data directory '{directory}' does not exist: point it at a BEIR-format directory (corpus.jsonl, queries.jsonl, qrels.tsv), e.g. SciFact as BEIR publishes it");
        }

        var corpusPath = RequireFile(directory, BeirSplits.CorpusFile, split);
        var queriesPath = RequireFile(directory, split.QueriesFile(), split);
        var qrelsPath = RequireFile(directory, split.QrelsFile(), split);
        var documentTenantsPath = withTenants ? RequireFile(directory, BeirSplits.DocumentTenantsFile, split) : null;
        var queryTenantsPath = withTenants ? RequireFile(directory, split.QueryTenantsFile(), split) : null;

        var corpus = await ReadCorpusAsync(corpusPath, cancellationToken).ConfigureAwait(false);
        if (corpus.Count == 0)
        {
            throw new EvaluationDataException($"{BeirSplits.CorpusFile} has no documents (in {corpusPath})");
        }

        var documentIds = corpus.Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
        var queries = await ReadQueriesAsync(queriesPath, cancellationToken).ConfigureAwait(false);
        if (queries.Count == 0)
        {
            throw new EvaluationDataException($"{split.QueriesFile()} has no queries (in {queriesPath})");
        }

        var queryIds = queries.Select(q => q.Id).ToHashSet(StringComparer.Ordinal);
        var qrels = await ReadQrelsAsync(qrelsPath, queryIds, documentIds, cancellationToken).ConfigureAwait(false);

        Dictionary<string, string>? documentTenants = null;
        Dictionary<string, string>? queryTenants = null;
        if (withTenants)
        {
            documentTenants = await ReadTenantsAsync(documentTenantsPath!, "doc-id", documentIds, "document", cancellationToken).ConfigureAwait(false);
            var untenanted = corpus.FirstOrDefault(d => !documentTenants.ContainsKey(d.Id));
            if (untenanted is not null)
            {
                throw new EvaluationDataException(
                    $"{BeirSplits.DocumentTenantsFile} gives no tenant for document '{untenanted.Id}' of {BeirSplits.CorpusFile}: every document needs one (in {documentTenantsPath})");
            }

            queryTenants = await ReadTenantsAsync(queryTenantsPath!, "query-id", queryIds, "query", cancellationToken).ConfigureAwait(false);
        }

        return new BeirDataset
        {
            Directory = directory,
            Split = split,
            Corpus = corpus,
            Queries = queries,
            Qrels = qrels,
            DocumentTenants = documentTenants,
            QueryTenants = queryTenants,
        };
    }

    private static string RequireFile(string directory, string fileName, BeirSplit split)
    {
        var path = Path.Combine(directory, fileName);
        if (!File.Exists(path))
        {
            throw new EvaluationDataException(
                $"'{path}' is missing: the {split.ToName()} split needs {BeirSplits.CorpusFile}, {split.QueriesFile()} and {split.QrelsFile()}"
                + $" (and {BeirSplits.DocumentTenantsFile} and {split.QueryTenantsFile()} with --tenants) in --data");
        }

        return path;
    }
}
