namespace TenantRag.Rag.Ingestion.Extraction.Pdf;

/// <summary>What content costs PdfPig to parse: operations, and characters (upper bound) it shows. Sums and products saturate.</summary>
internal readonly record struct PdfContentCost(long Operations, long Characters)
{
    public PdfContentCost Plus(PdfContentCost other, long times) =>
        new(Saturating(Operations, other.Operations, times), Saturating(Characters, other.Characters, times));

    private static long Saturating(long sum, long value, long times)
    {
        var product = times != 0 && value > long.MaxValue / times ? long.MaxValue : value * times;
        return sum > long.MaxValue - product ? long.MaxValue : sum + product;
    }
}
