using UglyToad.PdfPig.Content;
using UglyToad.PdfPig.Core;
using UglyToad.PdfPig.Fonts.Standard14Fonts;
using UglyToad.PdfPig.Writer;

namespace TenantRag.Rag.Tests.Ingestion;

/// <summary>Builds real PDF files with PdfPig's writer.</summary>
internal static class TestPdfs
{
    /// <summary>One page per entry; each page holds its lines top to bottom, an empty line leaving a paragraph's gap.</summary>
    public static byte[] Build(string? title, params string[][] pages)
    {
        var builder = new PdfDocumentBuilder();
        if (title is not null)
        {
            builder.DocumentInformation.Title = title;
        }

        var font = builder.AddStandard14Font(Standard14Font.Helvetica);
        foreach (var lines in pages)
        {
            var page = builder.AddPage(PageSize.A4);
            var y = 780.0;
            foreach (var line in lines)
            {
                if (line.Length > 0)
                {
                    page.AddText(line, 12, new PdfPoint(40, y), font);
                }

                y -= line.Length > 0 ? 18 : 24;
            }
        }

        return builder.Build();
    }
}
