namespace TenantRag.Rag.Evaluation;

/// <summary>
/// A loaded BEIR-format evaluation set: the corpus, one split's queries and relevance judgements and, when asked for,
/// the tenant of every document and query. Loaded and validated by <see cref="BeirDatasetLoader"/>.
/// </summary>
public sealed record BeirDataset
{
    /// <summary>The directory it was loaded from.</summary>
    public required string Directory { get; init; }

    /// <summary>Which split's queries and judgements these are.</summary>
    public required BeirSplit Split { get; init; }

    /// <summary>Every document, in file order.</summary>
    public required IReadOnlyList<BeirDocument> Corpus { get; init; }

    /// <summary>The split's queries, in file order.</summary>
    public required IReadOnlyList<BeirQuery> Queries { get; init; }

    /// <summary>Judgements: query id → (document id → grade). A grade above 0 is relevant; higher is more relevant.</summary>
    public required IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> Qrels { get; init; }

    /// <summary>Document id → tenant name (from <c>tenants.tsv</c>); null when tenants were not loaded.</summary>
    public IReadOnlyDictionary<string, string>? DocumentTenants { get; init; }

    /// <summary>Query id → tenant name (from the split's query tenants file); null when tenants were not loaded.</summary>
    public IReadOnlyDictionary<string, string>? QueryTenants { get; init; }

    /// <summary>
    /// For a question set (<see cref="QuestionSetLoader"/>): the full path of the directory of HTML pages the corpus is
    /// made of. Each document of <see cref="Corpus"/> is then a page, its id the page's path below this directory, its
    /// title and text empty (the page is read from the file when it is ingested). Null for a BEIR-format set.
    /// </summary>
    public string? PagesDirectory { get; init; }

    /// <summary>
    /// For a question set: query id → the page, section and key fact its answer is checked against. Null for a
    /// retrieval-only set, whose queries get no answers.
    /// </summary>
    public IReadOnlyDictionary<string, AnswerKey>? AnswerKeys { get; init; }

    /// <summary>
    /// The queries that can be scored, in file order: those with at least one relevant judgement and, when
    /// <paramref name="perTenant"/>, a tenant (a query whose relevant documents span tenants has none and is left out).
    /// </summary>
    public IReadOnlyList<BeirQuery> EvaluableQueries(bool perTenant)
    {
        if (perTenant && QueryTenants is null)
        {
            throw new InvalidOperationException("per-tenant queries need the dataset loaded with its tenant files");
        }

        return [.. Queries.Where(q =>
            Qrels.TryGetValue(q.Id, out var judged) && judged.Values.Any(g => g > 0)
            && (!perTenant || QueryTenants!.ContainsKey(q.Id)))];
    }

    /// <summary>
    /// A smaller set for quick runs: the first <paramref name="queries"/> evaluable queries, every document judged for
    /// them, and <paramref name="distractorsPerQuery"/> other documents per query (the first ones in corpus order), so
    /// the same arguments always give the same slice.
    /// </summary>
    public BeirDataset Slice(int queries, int distractorsPerQuery, bool perTenant)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(queries);
        ArgumentOutOfRangeException.ThrowIfNegative(distractorsPerQuery);
        var kept = EvaluableQueries(perTenant).Take(queries).ToList();
        var judged = new HashSet<string>(kept.SelectMany(q => Qrels[q.Id].Keys), StringComparer.Ordinal);
        var distractors = Corpus.Where(d => !judged.Contains(d.Id)).Take(kept.Count * distractorsPerQuery)
            .Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
        var keptIds = kept.Select(q => q.Id).ToHashSet(StringComparer.Ordinal);
        return this with
        {
            Corpus = [.. Corpus.Where(d => judged.Contains(d.Id) || distractors.Contains(d.Id))],
            Queries = kept,
            Qrels = Qrels.Where(p => keptIds.Contains(p.Key)).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal),
            QueryTenants = QueryTenants?.Where(p => keptIds.Contains(p.Key)).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal),
            AnswerKeys = AnswerKeys?.Where(p => keptIds.Contains(p.Key)).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal),
        };
    }
}
