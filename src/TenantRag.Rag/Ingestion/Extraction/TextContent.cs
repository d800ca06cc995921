using System.Text;

namespace TenantRag.Rag.Ingestion.Extraction;

/// <summary>Text helpers shared by the extractors (reading is <see cref="Utf8TextReader"/>'s).</summary>
internal static class TextContent
{
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
}
