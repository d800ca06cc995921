using TenantRag.Tenancy;

namespace TenantRag.Rag.Evaluation;

/// <summary>One tenant of an evaluation run: the documents it holds and the queries asked in it.</summary>
public sealed record EvaluationTenant
{
    /// <summary>The tenant's slug, e.g. <c>scifact</c> or <c>scifact-tenant-05</c>.</summary>
    public required TenantSlug Slug { get; init; }

    /// <summary>The tenant's name in the set's tenant files (e.g. <c>tenant-05</c>), or null for the whole-corpus tenant.</summary>
    public string? Name { get; init; }

    /// <summary>Its documents, in corpus order.</summary>
    public required IReadOnlyList<BeirDocument> Documents { get; init; }

    /// <summary>The queries asked in it, in file order.</summary>
    public required IReadOnlyList<BeirQuery> Queries { get; init; }

    /// <summary>
    /// The tenants of a run: one holding the whole corpus and every evaluable query, or with
    /// <see cref="EvaluationOptions.PerTenant"/> one per tenant of the set's tenant file, ordered by name.
    /// </summary>
    public static IReadOnlyList<EvaluationTenant> Plan(BeirDataset data, EvaluationOptions options)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        var queries = data.EvaluableQueries(options.PerTenant);
        if (!options.PerTenant)
        {
            return [new EvaluationTenant { Slug = TenantSlug.Parse(options.TenantPrefix), Documents = data.Corpus, Queries = queries }];
        }

        var documentTenants = data.DocumentTenants!;
        var queryTenants = data.QueryTenants!;
        var known = documentTenants.Values.ToHashSet(StringComparer.Ordinal);
        if (queries.FirstOrDefault(q => !known.Contains(queryTenants[q.Id])) is { } orphan)
        {
            throw new EvaluationDataException(
                $"query '{orphan.Id}' is asked in tenant '{queryTenants[orphan.Id]}', which has no documents in {BeirSplits.DocumentTenantsFile}: fix {data.Split.QueryTenantsFile()}");
        }

        return
        [
            .. data.Corpus.GroupBy(d => documentTenants[d.Id], StringComparer.Ordinal)
                .OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => new EvaluationTenant
                {
                    Slug = SlugFor(options.TenantPrefix, g.Key),
                    Name = g.Key,
                    Documents = [.. g],
                    Queries = [.. queries.Where(q => string.Equals(queryTenants[q.Id], g.Key, StringComparison.Ordinal))],
                }),
        ];
    }

    private static TenantSlug SlugFor(string prefix, string tenant)
    {
        var text = $"{prefix}-{tenant}";
        return TenantSlug.TryParse(text, out var slug)
            ? slug
            : throw new EvaluationDataException(
                $"tenant '{tenant}' of {BeirSplits.DocumentTenantsFile} does not make a valid tenant slug ('{text}' must match {TenantSlug.Pattern}): rename it in the set");
    }
}
