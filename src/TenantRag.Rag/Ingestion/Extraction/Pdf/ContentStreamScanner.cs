using System.Text;

namespace TenantRag.Rag.Ingestion.Extraction.Pdf;

/// <summary>
/// Counts what a PDF content stream asks for without parsing it into objects: its operations, the bytes of the strings
/// its text operators show (an upper bound on the characters: one byte is at most one glyph), and the named XObjects
/// it draws with <c>Do</c> (forms whose own content runs each time). A linear pass over the bytes, allocation-free
/// apart from the XObject names.
/// </summary>
internal static class ContentStreamScanner
{
    /// <summary>Scans decoded content; <paramref name="drawn"/> receives each XObject name and how often it is drawn.</summary>
    public static PdfContentCost Scan(ReadOnlySpan<byte> content, Dictionary<string, long> drawn)
    {
        long operations = 0;
        long characters = 0;
        long pendingStringBytes = 0;
        Range? lastName = null;
        var i = 0;
        while (i < content.Length)
        {
            var b = content[i];
            if (IsWhitespace(b))
            {
                i++;
            }
            else if (b == '%')
            {
                while (i < content.Length && content[i] is not ((byte)'\n' or (byte)'\r'))
                {
                    i++;
                }
            }
            else if (b == '(')
            {
                i = SkipLiteralString(content, i, out var length);
                pendingStringBytes += length;
            }
            else if (b == '<' && i + 1 < content.Length && content[i + 1] == '<')
            {
                i += 2;
            }
            else if (b == '<')
            {
                var end = content[i..].IndexOf((byte)'>');
                end = end < 0 ? content.Length : i + end;
                pendingStringBytes += (end - i) / 2;
                i = end + 1;
            }
            else if (b == '/')
            {
                var end = EndOfToken(content, i + 1);
                lastName = (i + 1)..end;
                i = end;
            }
            else if (IsDelimiter(b))
            {
                i++;
            }
            else
            {
                var end = EndOfToken(content, i);
                var token = content[i..end];
                i = end;
                if (IsOperand(token))
                {
                    continue;
                }

                operations++;
                if (token.SequenceEqual("Tj"u8) || token.SequenceEqual("TJ"u8) || token.SequenceEqual("'"u8) || token.SequenceEqual("\""u8))
                {
                    characters += pendingStringBytes;
                }
                else if (token.SequenceEqual("Do"u8) && lastName is { } range)
                {
                    // Names are kept as ranges: only the few that are drawn become strings.
                    var name = Encoding.ASCII.GetString(content[range]);
                    drawn[name] = drawn.GetValueOrDefault(name) + 1;
                }
                else if (token.SequenceEqual("ID"u8))
                {
                    i = SkipInlineImageData(content, i);
                }

                pendingStringBytes = 0;
                lastName = null;
            }
        }

        return new PdfContentCost(operations, characters);
    }

    private static bool IsWhitespace(byte b) => b is 0 or 9 or 10 or 12 or 13 or 32;

    private static bool IsDelimiter(byte b) => b is (byte)'(' or (byte)')' or (byte)'<' or (byte)'>' or (byte)'[' or (byte)']' or (byte)'{' or (byte)'}' or (byte)'/' or (byte)'%';

    private static int EndOfToken(ReadOnlySpan<byte> content, int start)
    {
        var end = start;
        while (end < content.Length && !IsWhitespace(content[end]) && !IsDelimiter(content[end]))
        {
            end++;
        }

        return end;
    }

    // Numbers and the keywords that are values, not operators.
    private static bool IsOperand(ReadOnlySpan<byte> token) =>
        token[0] is (byte)'+' or (byte)'-' or (byte)'.' or (>= (byte)'0' and <= (byte)'9')
        || token.SequenceEqual("true"u8) || token.SequenceEqual("false"u8) || token.SequenceEqual("null"u8);

    // A literal string: balanced parentheses, backslash escapes. Returns the index after it; length counts each escape as one byte.
    private static int SkipLiteralString(ReadOnlySpan<byte> content, int start, out long length)
    {
        length = 0;
        var depth = 0;
        var i = start;
        while (i < content.Length)
        {
            var b = content[i++];
            if (b == '\\')
            {
                i++;
                length++;
            }
            else if (b == '(')
            {
                if (depth++ > 0)
                {
                    length++;
                }
            }
            else if (b == ')')
            {
                if (--depth == 0)
                {
                    return i;
                }

                length++;
            }
            else
            {
                length++;
            }
        }

        return i;
    }

    // Inline image data runs from one whitespace after ID to an EI between whitespace (or the end).
    private static int SkipInlineImageData(ReadOnlySpan<byte> content, int afterId)
    {
        var i = afterId + 1;
        while (i + 2 < content.Length)
        {
            if (IsWhitespace(content[i]) && content[i + 1] == 'E' && content[i + 2] == 'I' && (i + 3 == content.Length || IsWhitespace(content[i + 3])))
            {
                return i + 1;
            }

            i++;
        }

        return content.Length;
    }
}
