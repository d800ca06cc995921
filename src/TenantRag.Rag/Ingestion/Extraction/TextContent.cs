using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace TenantRag.Rag.Ingestion.Extraction;

/// <summary>Byte and text helpers shared by the extractors.</summary>
internal static class TextContent
{
    private const int BinarySniffLength = 8 * 1024;

    /// <summary>Reads the rest of <paramref name="content"/> into memory, without copying when it is already a readable <see cref="MemoryStream"/>.</summary>
    public static async Task<ReadOnlyMemory<byte>> ReadAllBytesAsync(Stream content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (content is MemoryStream memory && memory.TryGetBuffer(out var buffer))
        {
            var start = (int)memory.Position;
            memory.Position = memory.Length;
            return buffer.AsMemory(start, (int)memory.Length - start);
        }

        using var copy = content.CanSeek ? new MemoryStream(checked((int)Math.Max(0, content.Length - content.Position))) : new MemoryStream();
        await content.CopyToAsync(copy, cancellationToken).ConfigureAwait(false);
        return copy.GetBuffer().AsMemory(0, (int)copy.Length);
    }

    /// <summary>
    /// Decodes strict UTF-8 (an optional BOM is skipped) and rejects binary content.
    /// Line endings are normalised to "\n".
    /// </summary>
    /// <exception cref="DocumentRejectedException">Invalid UTF-8 or binary content.</exception>
    public static string DecodeUtf8Text(ReadOnlySpan<byte> bytes, string fileName, double maxControlCharacterRatio)
    {
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            bytes = bytes[3..];
        }

        if (bytes.IndexOf((byte)0) >= 0)
        {
            throw new DocumentRejectedException(
                fileName,
                DocumentRejectionReason.BinaryContent,
                "the file contains NUL bytes: it is binary (or UTF-16), not UTF-8 text; upload plain UTF-8 text");
        }

        var text = DecodeStrictUtf8(bytes, fileName);
        var sniff = text.AsSpan(0, Math.Min(text.Length, BinarySniffLength));
        var controls = 0;
        foreach (var c in sniff)
        {
            if (IsDisallowedControl(c))
            {
                controls++;
            }
        }

        if (sniff.Length > 0 && controls > maxControlCharacterRatio * sniff.Length)
        {
            throw new DocumentRejectedException(
                fileName,
                DocumentRejectionReason.BinaryContent,
                $"the file looks binary: {controls} of the first {sniff.Length} characters are control characters; upload plain UTF-8 text");
        }

        return NormalizeNewlines(text);
    }

    /// <summary>Tries strict UTF-8 decoding; returns <see langword="null"/> on invalid data.</summary>
    public static string? TryDecodeUtf8(ReadOnlySpan<byte> bytes)
    {
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            bytes = bytes[3..];
        }

        return Utf8.IsValid(bytes) ? Encoding.UTF8.GetString(bytes) : null;
    }

    /// <summary>Replaces "\r\n" and "\r" by "\n".</summary>
    public static string NormalizeNewlines(string text) =>
        text.Contains('\r', StringComparison.Ordinal) ? text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n') : text;

    /// <summary>Collapses every run of whitespace into one space and trims the ends.</summary>
    public static string CollapseWhitespace(ReadOnlySpan<char> text)
    {
        var builder = new StringBuilder(text.Length);
        var pendingSpace = false;
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c))
            {
                pendingSpace = builder.Length > 0;
                continue;
            }

            if (pendingSpace)
            {
                builder.Append(' ');
                pendingSpace = false;
            }

            builder.Append(c);
        }

        return builder.ToString();
    }

    /// <summary>
    /// Cleans multi-line text: trailing whitespace is removed from each line, control characters become spaces,
    /// runs of blank lines become one blank line, and leading/trailing blank lines are dropped.
    /// </summary>
    public static string NormalizeBlockText(string text)
    {
        text = NormalizeNewlines(text);
        var builder = new StringBuilder(text.Length);
        var blankLines = 0;
        foreach (var rawLine in text.AsSpan().EnumerateLines())
        {
            var line = rawLine.TrimEnd();
            if (line.IsWhiteSpace())
            {
                blankLines++;
                continue;
            }

            if (builder.Length > 0)
            {
                builder.Append(blankLines > 0 ? "\n\n" : "\n");
            }

            blankLines = 0;
            foreach (var c in line)
            {
                builder.Append(c == '\t' || !char.IsControl(c) ? c : ' ');
            }
        }

        return builder.ToString();
    }

    /// <summary>The file name without directory and extension, or the whole name when that would be empty.</summary>
    public static string TitleFromFileName(string fileName)
    {
        var name = Path.GetFileNameWithoutExtension(fileName);
        if (string.IsNullOrWhiteSpace(name))
        {
            name = Path.GetFileName(fileName);
        }

        return string.IsNullOrWhiteSpace(name) ? "Untitled" : name.Trim();
    }

    private static string DecodeStrictUtf8(ReadOnlySpan<byte> bytes, string fileName)
    {
        if (Utf8.IsValid(bytes))
        {
            return Encoding.UTF8.GetString(bytes);
        }

        var scratch = ArrayPool<char>.Shared.Rent(Math.Max(16, bytes.Length));
        try
        {
            var status = Utf8.ToUtf16(bytes, scratch, out var bytesRead, out _, replaceInvalidSequences: false);
            var line = 1 + bytes[..bytesRead].Count((byte)'\n');
            throw new DocumentRejectedException(
                fileName,
                DocumentRejectionReason.InvalidEncoding,
                $"the file is not valid UTF-8 ({status} at byte offset {bytesRead}, line {line}); save it as UTF-8 and upload it again");
        }
        finally
        {
            ArrayPool<char>.Shared.Return(scratch);
        }
    }

    private static bool IsDisallowedControl(char c) =>
        (c < 0x20 && c is not ('\t' or '\n' or '\r' or '\f')) || c == 0x7F;
}
