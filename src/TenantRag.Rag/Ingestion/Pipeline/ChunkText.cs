namespace TenantRag.Rag.Ingestion.Pipeline;

/// <summary>The heading a chunk is stored with and the text it is embedded as.</summary>
internal static class ChunkText
{
    private const string Separator = " > ";

    /// <summary>
    /// <c>Title &gt; heading path</c>, so the title is searched (and embedded) with every chunk; just the title when
    /// the section has no heading, and no repeated title when the heading path already starts with it.
    /// </summary>
    public static string Heading(string title, string? headingPath)
    {
        if (string.IsNullOrWhiteSpace(headingPath))
        {
            return title;
        }

        return headingPath == title || headingPath.StartsWith(title + Separator, StringComparison.Ordinal)
            ? headingPath
            : title + Separator + headingPath;
    }

    /// <summary>What the model embeds: the heading (cut at a word to <paramref name="maxHeadingLength"/> characters), a line break, the text.</summary>
    public static string ForEmbedding(string heading, string content, int maxHeadingLength) => Cut(heading, maxHeadingLength) + "\n" + content;

    /// <summary>At most <paramref name="max"/> characters, cut at a space where there is one, never inside a surrogate pair.</summary>
    public static string Cut(string text, int max)
    {
        if (text.Length <= max)
        {
            return text;
        }

        var end = max;
        if (char.IsHighSurrogate(text[end - 1]))
        {
            end--;
        }

        var space = text.LastIndexOf(' ', end - 1, end);
        return text[..(space > max / 2 ? space : end)].TrimEnd();
    }
}
