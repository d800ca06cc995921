using UglyToad.PdfPig;
using UglyToad.PdfPig.Content;
using UglyToad.PdfPig.Core;
using UglyToad.PdfPig.Outline.Destinations;
using UglyToad.PdfPig.Tokens;

namespace TenantRag.Rag.Ingestion.Extraction.Pdf;

/// <summary>
/// What reading a page will cost PdfPig, found before it reads the page: the page's content streams are decoded (within
/// <see cref="IngestionOptions.MaxPdfStreamBytes"/>) and scanned, and every form XObject they draw is scanned once and
/// counted as often as it is drawn, forms inside forms included. A page over <see cref="IngestionOptions.MaxPdfPageOperations"/>
/// or <see cref="IngestionOptions.MaxPdfPageCharacters"/> is refused before PdfPig builds a single glyph: 10 MB of
/// <c>(x) Tj</c> compress to 30 KB and would make 1.4 million glyph objects (2 GB).
/// </summary>
/// <remarks>
/// A page factory of PdfPig (<see cref="PdfDocument.AddPageFactory{TPage}(IPageFactory{TPage})"/>): PdfPig finds the page
/// by its own numbering and hands over the page's dictionary and inherited resources, and the "page" made is its cost.
/// </remarks>
internal sealed class PdfPageCosts(PdfDocument pdf, PdfBudget budget) : IPageFactory<PdfContentCost>
{
    // Forms inside forms deeper than this are not followed (PdfPig stops much earlier); nothing real comes close.
    private const int MaxFormDepth = 64;

    private readonly Dictionary<IndirectReference, PdfContentCost> _forms = [];
    private readonly HashSet<IndirectReference> _inProgress = [];

    /// <summary>Throws when <paramref name="pageNumber"/> would cost more than the limits allow.</summary>
    public void Check(int pageNumber)
    {
        var cost = pdf.GetPage<PdfContentCost>(pageNumber);
        var options = budget.Options;
        if (cost.Characters > options.MaxPdfPageCharacters)
        {
            throw budget.Refuse(LimitRejections.TooManyPageCharacters(budget.FileName, pageNumber, options.MaxPdfPageCharacters));
        }

        if (cost.Operations > options.MaxPdfPageOperations)
        {
            throw budget.Refuse(LimitRejections.TooManyPageOperations(budget.FileName, pageNumber, options.MaxPdfPageOperations));
        }
    }

    /// <inheritdoc />
    public PdfContentCost Create(int number, DictionaryToken dictionary, PageTreeMembers pageTreeMembers, NamedDestinations namedDestinations)
    {
        // The page's own resources first, then those it inherits.
        List<DictionaryToken> resources = [];
        if (Resolve<DictionaryToken>(dictionary, NameToken.Resources) is { } own)
        {
            resources.Add(own);
        }

        resources.AddRange(pageTreeMembers.ParentResources);
        var cost = default(PdfContentCost);
        foreach (var stream in ContentStreams(dictionary))
        {
            cost = cost.Plus(Measure(stream, resources, depth: 0), 1);
        }

        return cost;
    }

    private PdfContentCost Measure(StreamToken stream, IReadOnlyList<DictionaryToken> resources, int depth)
    {
        var drawn = new Dictionary<string, long>(StringComparer.Ordinal);
        var cost = ContentStreamScanner.Scan(stream.Decode(pdf.Structure.FilterProvider, pdf.Structure.TokenScanner).Span, drawn);
        if (depth >= MaxFormDepth)
        {
            return cost;
        }

        foreach (var (name, times) in drawn)
        {
            var key = NameToken.Create(name);
            foreach (var candidate in resources)
            {
                if (Resolve<DictionaryToken>(candidate, NameToken.Xobject) is { } xObjects && xObjects.TryGet(key, out var entry))
                {
                    cost = cost.Plus(FormCost(entry, resources, depth), times);
                    break;
                }
            }
        }

        return cost;
    }

    // A form's cost, once per form; images and unknown objects cost nothing more than their Do.
    private PdfContentCost FormCost(IToken entry, IReadOnlyList<DictionaryToken> callerResources, int depth)
    {
        var reference = (entry as IndirectReferenceToken)?.Data;
        if (reference is { } known && (_forms.TryGetValue(known, out var cached) || !_inProgress.Add(known)))
        {
            return cached;
        }

        try
        {
            var cost = default(PdfContentCost);
            if (ResolveToken(entry) is StreamToken form && ResolveToken(form.StreamDictionary.Data.GetValueOrDefault(NameToken.Subtype.Data)) is NameToken subtype
                && subtype.Equals(NameToken.Form))
            {
                var resources = Resolve<DictionaryToken>(form.StreamDictionary, NameToken.Resources) is { } own ? [own] : callerResources;
                cost = Measure(form, resources, depth + 1);
            }

            if (reference is { } key)
            {
                _forms[key] = cost;
            }

            return cost;
        }
        finally
        {
            if (reference is { } key)
            {
                _inProgress.Remove(key);
            }
        }
    }

    private IEnumerable<StreamToken> ContentStreams(DictionaryToken page)
    {
        if (!page.TryGet(NameToken.Contents, out var contents))
        {
            yield break;
        }

        var parts = ResolveToken(contents) is ArrayToken array ? array.Data : [contents];
        foreach (var part in parts)
        {
            if (ResolveToken(part) is StreamToken stream)
            {
                yield return stream;
            }
        }
    }

    private T? Resolve<T>(DictionaryToken dictionary, NameToken key)
        where T : class, IToken =>
        dictionary.TryGet(key, out var token) ? ResolveToken(token) as T : null;

    private IToken? ResolveToken(IToken? token)
    {
        // A reference may point at a reference; a chain longer than a few links is broken (or a loop). A reference PdfPig
        // cannot resolve counts as absent here: PdfPig decides, when it reads the page, whether that breaks the page.
        try
        {
            for (var hops = 0; token is IndirectReferenceToken reference && hops < 8; hops++)
            {
                token = pdf.Structure.GetObject(reference.Data)?.Data;
            }
        }
        catch (Exception ex) when (ex is not DocumentRejectedException and not OperationCanceledException and not OutOfMemoryException)
        {
            budget.ThrowIfRefused();
            return null;
        }

        return token is IndirectReferenceToken ? null : token;
    }
}
