using System.IO.Compression;
using System.Text;

namespace TenantRag.Testing;

/// <summary>
/// Small files that ask a parser for far more than their size: PDFs whose deflated page content expands to millions of
/// text operators, or draws one form thousands of times; HTML nested hundreds of thousands deep; text past every
/// limit. Built in code, byte by byte, so nothing large is checked in and nothing large is held while building.
/// </summary>
public static class HostileFiles
{
    /// <summary>One text-showing operator: one glyph each.</summary>
    public const string ShowOneGlyph = "(x) Tj\n";

    /// <summary>
    /// A one-page PDF whose page content (deflated) is <paramref name="operator"/> repeated <paramref name="repeat"/>
    /// times inside a text object: with <see cref="ShowOneGlyph"/>, 1,500,000 repeats are 10 MB of content in 30 KB.
    /// </summary>
    public static byte[] PdfWithRepeatedContent(string @operator, long repeat, int pages = 1) =>
        Pdf(Deflate(zlib => Repeat(zlib, "BT /F1 12 Tf 40 700 Td\n", @operator, repeat, "ET\n")), pages);

    /// <summary>
    /// A one-page PDF that draws one form <paramref name="draws"/> times, the form showing
    /// <paramref name="glyphsPerForm"/> glyphs: a few kilobytes that make draws × glyphs characters.
    /// </summary>
    public static byte[] PdfDrawingFormRepeatedly(int draws, int glyphsPerForm)
    {
        var page = Deflate(zlib => Repeat(zlib, string.Empty, "/Fm1 Do\n", draws, string.Empty));
        var form = Deflate(zlib => Repeat(zlib, "BT /F1 12 Tf 40 700 Td\n", ShowOneGlyph, glyphsPerForm, "ET\n"));
        return Pdf(page, 1, form);
    }

    /// <summary>
    /// A one-page PDF whose page content is LZW-encoded (<c>/LZWDecode</c>): <paramref name="tables"/> times a full code
    /// table spelling ever longer runs of one byte, 5.7 KB each that decode to 7.4 MB.
    /// </summary>
    public static byte[] PdfWithLzwContent(int tables) => Pdf(LzwRuns(tables), 1, filter: "/LZWDecode");

    /// <summary>A PDF of <paramref name="pages"/> pages that share one small content stream (a line of text).</summary>
    public static byte[] PdfWithPages(int pages) => Pdf(Deflate(zlib => zlib.Write("BT /F1 12 Tf 40 700 Td (Page text.) Tj ET\n"u8)), pages);

    /// <summary>HTML with <paramref name="depth"/> nested, never closed <c>&lt;div&gt;</c>s (five bytes a level).</summary>
    public static byte[] NestedHtml(int depth) =>
        Encoding.ASCII.GetBytes("<html><body>" + new StringBuilder(depth * 5).Insert(0, "<div>", depth) + "deep</body></html>");

    /// <summary>Plain words, <paramref name="characters"/> of them (rounded up to the next word), for size limits.</summary>
    public static byte[] Words(long characters)
    {
        const string word = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor\n";
        var bytes = new byte[(characters + word.Length - 1) / word.Length * word.Length];
        var source = Encoding.ASCII.GetBytes(word);
        for (var i = 0; i < bytes.Length; i += source.Length)
        {
            source.CopyTo(bytes, i);
        }

        return bytes;
    }

    // head + body × repeat + tail, written a block at a time.
    private static void Repeat(Stream output, string head, string body, long repeat, string tail)
    {
        var perBlock = (int)Math.Min(repeat, Math.Max(1, 65536 / body.Length));
        var block = Encoding.ASCII.GetBytes(new StringBuilder().Insert(0, body, perBlock).ToString());
        output.Write(Encoding.ASCII.GetBytes(head));
        var left = repeat;
        for (; left >= perBlock && perBlock > 0; left -= perBlock)
        {
            output.Write(block);
        }

        output.Write(Encoding.ASCII.GetBytes(new StringBuilder().Insert(0, body, (int)left).ToString()));
        output.Write(Encoding.ASCII.GetBytes(tail));
    }

    // Deflates what write writes as it writes it: the uncompressed content is never held whole.
    private static byte[] Deflate(Action<Stream> write)
    {
        var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            write(zlib);
        }

        return compressed.ToArray();
    }

    // LZW codes (9 to 12 bits, most significant bit first, EarlyChange 1) for runs of 'x': after a clear code, 'x' and then
    // each new code in turn, which means "the previous string and its first byte again", so code n decodes to n - 256 bytes.
    private static byte[] LzwRuns(int tables)
    {
        var output = new MemoryStream();
        long buffer = 0;
        var bits = 0;
        void Emit(int code, int width)
        {
            buffer = (buffer << width) | (uint)code;
            bits += width;
            while (bits >= 8)
            {
                output.WriteByte((byte)(buffer >> (bits - 8)));
                bits -= 8;
            }
        }

        static int Width(int next) => next + 1 < 512 ? 9 : next + 1 < 1024 ? 10 : next + 1 < 2048 ? 11 : 12;
        for (var table = 0; table < tables; table++)
        {
            Emit(256, table == 0 ? 9 : 12);
            Emit('x', 9);
            for (var next = 258; next < 4096; next++)
            {
                Emit(next, Width(next));
            }
        }

        Emit(257, 12);
        if (bits > 0)
        {
            output.WriteByte((byte)(buffer << (8 - bits)));
        }

        return output.ToArray();
    }

    // Catalog (1), pages (2), font (3), page content (4), an optional form (5), then the pages (6...), an xref table and a trailer.
    private static byte[] Pdf(byte[] deflatedContent, int pages, byte[]? deflatedForm = null, string filter = "/FlateDecode")
    {
        var body = new MemoryStream();
        var offsets = new List<long>();
        void Write(string text) => body.Write(Encoding.ASCII.GetBytes(text));
        void Object(string text)
        {
            offsets.Add(body.Position);
            Write(text);
        }

        void Stream(string dictionary, byte[] data, string streamFilter)
        {
            offsets.Add(body.Position);
            Write($"{offsets.Count} 0 obj\n<< {dictionary} /Length {data.Length} /Filter {streamFilter} >>\nstream\n");
            body.Write(data);
            Write("\nendstream\nendobj\n");
        }

        const int firstPage = 6;
        Write("%PDF-1.7\n");
        Object("1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
        var kids = new StringBuilder();
        for (var i = 0; i < pages; i++)
        {
            kids.Append(firstPage + i).Append(" 0 R ");
        }

        Object($"2 0 obj\n<< /Type /Pages /Kids [{kids}] /Count {pages} >>\nendobj\n");
        Object("3 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>\nendobj\n");
        Stream(string.Empty, deflatedContent, filter);
        Stream("/Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >>", deflatedForm ?? Deflate(_ => { }), "/FlateDecode");
        for (var i = 0; i < pages; i++)
        {
            Object($"{firstPage + i} 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> /XObject << /Fm1 5 0 R >> >> /Contents 4 0 R >>\nendobj\n");
        }

        var xref = body.Position;
        Write($"xref\n0 {offsets.Count + 1}\n0000000000 65535 f \n");
        foreach (var offset in offsets)
        {
            Write($"{offset:D10} 00000 n \n");
        }

        Write($"trailer\n<< /Size {offsets.Count + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n");
        return body.ToArray();
    }
}
