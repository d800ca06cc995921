using System.Text;

namespace TenantRag.Rag.Generation;

/// <summary>
/// Splits prose into sentences: at <c>. ! ?</c> followed by a space and an upper-case letter, digit or opening
/// bracket, and at line breaks; not after common abbreviations (<c>e.g.</c>, <c>et al.</c>, <c>Fig.</c>) or initials,
/// and never inside code quoted in backticks (<c>`cargo test -- --exact`</c>, or a <c>```</c> block written on one line),
/// so a quoted command stays whole. Good enough for picking supporting sentences; it is not a linguistic parser.
/// </summary>
public static class SentenceSplitter
{
    private static readonly HashSet<string> Abbreviations = new(StringComparer.OrdinalIgnoreCase)
    {
        "e.g", "i.e", "al", "etc", "fig", "figs", "eq", "eqs", "ref", "refs", "vs", "cf", "ca", "approx", "dr", "mr", "mrs",
        "ms", "prof", "no", "nos", "vol", "pp", "p", "st", "sr", "jr", "inc", "ltd", "co", "corp", "dept", "univ", "resp",
    };

    /// <summary>The sentences of <paramref name="text"/>, trimmed, with inner whitespace collapsed; empty ones dropped.</summary>
    public static IReadOnlyList<string> Split(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sentences = new List<string>();
        foreach (var line in text.Split('\n'))
        {
            SplitLine(line, sentences);
        }

        return sentences;
    }

    /// <summary>
    /// Where the code span opening at <paramref name="start"/> (a run of backticks) closes: the index just after the
    /// next run of as many backticks on the line, or -1 when it does not close (then the backticks are plain text).
    /// </summary>
    internal static int CodeSpanEnd(string line, int start)
    {
        int Run(int at)
        {
            var length = 0;
            while (at + length < line.Length && line[at + length] == '`')
            {
                length++;
            }

            return length;
        }

        var ticks = Run(start);
        var i = start + ticks;
        while (i < line.Length)
        {
            var close = line.IndexOf('`', i);
            if (close < 0)
            {
                return -1;
            }

            var run = Run(close);
            if (run == ticks)
            {
                return close + run;
            }

            i = close + run;
        }

        return -1;
    }

    private static void SplitLine(string line, List<string> sentences)
    {
        var start = 0;
        for (var i = 0; i < line.Length; i++)
        {
            if (line[i] == '`' && CodeSpanEnd(line, i) is var spanEnd and > 0)
            {
                i = spanEnd - 1;
                continue;
            }

            if (line[i] is not ('.' or '!' or '?'))
            {
                continue;
            }

            // Closing quotes and brackets stay with the sentence they end.
            var end = i + 1;
            while (end < line.Length && line[end] is '"' or '\'' or ')' or ']' or '\u201D' or '\u2019')
            {
                end++;
            }

            if (end >= line.Length || !char.IsWhiteSpace(line[end]))
            {
                continue;
            }

            var next = end;
            while (next < line.Length && char.IsWhiteSpace(line[next]))
            {
                next++;
            }

            if (next >= line.Length || !StartsSentence(line[next]) || (line[i] == '.' && IsAbbreviation(line, i)))
            {
                continue;
            }

            Add(line.AsSpan(start, end - start), sentences);
            start = next;
            i = next - 1;
        }

        Add(line.AsSpan(start), sentences);
    }

    private static bool StartsSentence(char c) => char.IsUpper(c) || char.IsDigit(c) || c is '(' or '[' or '"' or '\u201C' or '`';

    // The word before the period: a known abbreviation, or a single letter (an initial, as in "J. Smith").
    private static bool IsAbbreviation(string line, int period)
    {
        var wordStart = period;
        while (wordStart > 0 && (char.IsLetter(line[wordStart - 1]) || line[wordStart - 1] == '.'))
        {
            wordStart--;
        }

        var word = line.AsSpan(wordStart, period - wordStart);
        return word.Length == 1 ? char.IsLetter(word[0]) : Abbreviations.Contains(word.ToString());
    }

    private static void Add(ReadOnlySpan<char> sentence, List<string> sentences)
    {
        var builder = new StringBuilder(sentence.Length);
        var space = false;
        foreach (var c in sentence.Trim())
        {
            if (char.IsWhiteSpace(c))
            {
                space = true;
                continue;
            }

            if (space && builder.Length > 0)
            {
                builder.Append(' ');
            }

            space = false;
            builder.Append(c);
        }

        if (builder.Length > 0)
        {
            sentences.Add(builder.ToString());
        }
    }
}
