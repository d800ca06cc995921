using System.Text;
using TenantRag.Rag.Ingestion;
using TenantRag.Rag.Ingestion.Extraction;
using TenantRag.Rag.Ingestion.Pipeline;
using UglyToad.PdfPig.Content;
using UglyToad.PdfPig.Core;
using UglyToad.PdfPig.Fonts.Standard14Fonts;
using UglyToad.PdfPig.Writer;

namespace TenantRag.Lab;

/// <summary>
/// The PDF files of <c>tenantrag bench ingest</c>: real text (abstracts) set on A4 pages in Helvetica with PdfPig's
/// writer, made at run time and sized to a number of chunks with the server's own extractor and chunker.
/// </summary>
internal sealed record BenchIngestPdf(string FileName, byte[] Content, IReadOnlyList<string> ChunkTexts, string Query)
{
    private const double FontSize = 10;
    private const double Leading = 14;
    private const double Margin = 50;
    private const int LineCharacters = 90;

    // A4 in points.
    private const double PageHeight = 842;

    /// <summary>
    /// A PDF of the documents of <paramref name="corpus"/> from <paramref name="offset"/> on, cut to make exactly
    /// <paramref name="chunks"/> chunks where a cut can (whole documents first, then words of the last one).
    /// </summary>
    public static async Task<BenchIngestPdf> BuildAsync(string name, IngestionPipeline pipeline, IngestionOptions limits,
        IReadOnlyList<BenchApiDocument> corpus, int offset, int chunks, CancellationToken cancellationToken)
    {
        var extraction = new DocumentExtractionService(DocumentExtractorRegistry.CreateDefault(limits), limits);
        var fileName = $"{name}.pdf";
        async Task<(byte[] Pdf, IReadOnlyList<string> Texts)> MakeAsync(IReadOnlyList<BenchApiDocument> documents)
        {
            var pdf = Render(name, documents);
            using var content = new MemoryStream(pdf, writable: false);
            var extracted = await extraction.ExtractAsync(content, fileName, cancellationToken).ConfigureAwait(false);
            return (pdf, [.. extracted.Documents.SelectMany(pipeline.EmbeddingTexts)]);
        }

        // Whole documents until there are enough chunks.
        var documents = new List<BenchApiDocument>();
        (byte[] Pdf, IReadOnlyList<string> Texts) made = ([], []);
        for (var i = 0; made.Texts.Count < chunks && i < corpus.Count; i++)
        {
            documents.Add(Plain(corpus[(offset + i) % corpus.Count]));
            made = await MakeAsync(documents).ConfigureAwait(false);
        }

        // Then the fewest words of the last document that still make as many chunks.
        if (made.Texts.Count > chunks && documents.Count > 0)
        {
            var last = documents[^1];
            var words = last.Text.Split(' ');
            var (low, high) = (0, words.Length);
            while (low < high)
            {
                var middle = (low + high) / 2;
                documents[^1] = last with { Text = string.Join(' ', words.Take(middle)) };
                var count = (await MakeAsync(documents).ConfigureAwait(false)).Texts.Count;
                (low, high) = count >= chunks ? (low, middle) : (middle + 1, high);
            }

            documents[^1] = last with { Text = string.Join(' ', words.Take(low)) };
            made = await MakeAsync(documents).ConfigureAwait(false);
        }

        return new BenchIngestPdf(fileName, made.Pdf, made.Texts, Plain(corpus[offset % corpus.Count]).Title);
    }

    /// <summary>Each document as its title, then its text, wrapped onto as many pages as it takes.</summary>
    private static byte[] Render(string title, IReadOnlyList<BenchApiDocument> documents)
    {
        var lines = new List<string>();
        foreach (var document in documents)
        {
            lines.Add(document.Title);
            lines.AddRange(Wrap(document.Text));
            lines.Add(string.Empty);
        }

        var builder = new PdfDocumentBuilder();
        builder.DocumentInformation.Title = title;
        var font = builder.AddStandard14Font(Standard14Font.Helvetica);
        var perPage = (int)((PageHeight - (2 * Margin)) / Leading);
        foreach (var page in lines.Chunk(perPage))
        {
            var writer = builder.AddPage(PageSize.A4);
            var y = PageHeight - Margin;
            foreach (var line in page)
            {
                if (line.Length > 0)
                {
                    writer.AddText(line, FontSize, new PdfPoint(Margin, y), font);
                }

                y -= Leading;
            }
        }

        return builder.Build();
    }

    private static IEnumerable<string> Wrap(string text)
    {
        var line = new StringBuilder();
        foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.Length > 0 && line.Length + 1 + word.Length > LineCharacters)
            {
                yield return line.ToString();
                line.Clear();
            }

            line.Append(line.Length > 0 ? " " : string.Empty).Append(word);
        }

        if (line.Length > 0)
        {
            yield return line.ToString();
        }
    }

    // Helvetica of the standard 14 fonts has no glyphs beyond Latin-1: letters lose their accents, other symbols go.
    private static BenchApiDocument Plain(BenchApiDocument document) => document with
    {
        Title = Ascii(document.Title),
        Text = Ascii(document.Text),
    };

    private static string Ascii(string text)
    {
        var plain = new StringBuilder(text.Length);
        foreach (var c in text.Normalize(NormalizationForm.FormD))
        {
            if (c is >= ' ' and <= '~')
            {
                plain.Append(c);
            }
        }

        return plain.ToString();
    }
}
