using UglyToad.PdfPig.Filters;
using UglyToad.PdfPig.Tokens;

namespace TenantRag.Rag.Ingestion.Extraction.Pdf;

/// <summary>PdfPig's decoders, each wrapped in a <see cref="BoundedFilter"/> of one document's <see cref="PdfBudget"/>.</summary>
internal sealed class BoundedFilterProvider(PdfBudget budget) : IFilterProvider
{
    private static readonly IFilterProvider Inner = DefaultFilterProvider.Instance;

    public IReadOnlyList<IFilter> GetFilters(DictionaryToken dictionary) => Wrap(Inner.GetFilters(dictionary));

    public IReadOnlyList<IFilter> GetNamedFilters(IReadOnlyList<NameToken> names) => Wrap(Inner.GetNamedFilters(names));

    public IReadOnlyList<IFilter> GetAllFilters() => Wrap(Inner.GetAllFilters());

    private IFilter[] Wrap(IReadOnlyList<IFilter> filters) => [.. filters.Select(f => new BoundedFilter(f, budget))];
}
