using UglyToad.PdfPig.Filters;
using UglyToad.PdfPig.Tokens;

namespace TenantRag.Rag.Ingestion.Extraction.Pdf;

/// <summary>
/// One of PdfPig's decoders, refusing a stream that decodes past <see cref="IngestionOptions.MaxPdfStreamBytes"/>:
/// deflate, LZW and run-length data (the formats that expand a thousandfold) are measured before PdfPig decodes them,
/// the others (which at most double, or are images that text extraction does not decode) when it has.
/// </summary>
internal sealed class BoundedFilter(IFilter inner, PdfBudget budget) : IFilter
{
    public bool IsSupported => inner.IsSupported;

    public Memory<byte> Decode(Memory<byte> input, DictionaryToken streamDictionary, IFilterProvider filterProvider, int filterIndex)
    {
        budget.Checkpoint();
        var limit = budget.Options.MaxPdfStreamBytes;
        var expanded = inner switch
        {
            FlateFilter => DecodedLength.Flate(input, limit),
            LzwFilter => DecodedLength.Lzw(input.Span, EarlyChange(streamDictionary, filterIndex), limit),
            RunLengthFilter => DecodedLength.RunLength(input.Span, limit),
            _ => 0,
        };
        if (expanded > limit)
        {
            throw TooLarge(limit);
        }

        var output = inner.Decode(input, streamDictionary, filterProvider, filterIndex);
        if (output.Length > limit)
        {
            throw TooLarge(limit);
        }

        budget.Checkpoint();
        return output;
    }

    private static int EarlyChange(DictionaryToken streamDictionary, int filterIndex) =>
        DecodeParameterResolver.GetFilterParameters(streamDictionary, filterIndex)?.Data.GetValueOrDefault(NameToken.EarlyChange.Data) is NumericToken { Int: 0 } ? 0 : 1;

    private DocumentRejectedException TooLarge(long limit) => budget.Refuse(new DocumentRejectedException(
        budget.FileName,
        DocumentRejectionReason.DecompressedTooLarge,
        LimitRejections.Format($"a compressed stream of the PDF expands to more than {limit / (1024 * 1024):N0} MiB, the most one stream may hold; re-export the PDF, or raise the setting Ingestion:{nameof(IngestionOptions.MaxPdfStreamBytes)}")));
}
