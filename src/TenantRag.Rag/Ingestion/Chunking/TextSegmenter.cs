using System.Collections.Frozen;

namespace TenantRag.Rag.Ingestion.Chunking;

/// <summary>Finds paragraph, sentence and word boundaries as character ranges; ranges never include surrounding whitespace.</summary>
internal static class TextSegmenter
{
    private static readonly FrozenSet<string> Abbreviations = FrozenSet.ToFrozenSet(
    [
        "al", "approx", "ca", "cf", "co", "corp", "dept", "dr", "e.g", "eg", "eq", "eqs", "esp", "est", "et", "etc", "fig",
        "figs", "gen", "i.e", "ie", "inc", "jr", "ltd", "mr", "mrs", "ms", "mt", "no", "nos", "p", "pp", "prof", "ref",
        "refs", "resp", "rev", "sec", "sr", "st", "suppl", "tab", "univ", "viz", "vol", "vs", "u.s", "u.k", "ph.d",
    ], StringComparer.OrdinalIgnoreCase);

    private static readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> AbbreviationLookup =
        Abbreviations.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>Adds the ranges of the paragraphs of <paramref name="text"/> (separated by blank lines).</summary>
    public static void Paragraphs(string text, List<Range> output)
    {
        var start = -1;
        var lastContentEnd = -1;
        var lineStart = 0;
        while (lineStart <= text.Length)
        {
            var newline = text.IndexOf('\n', lineStart);
            var lineEnd = newline < 0 ? text.Length : newline;
            var line = text.AsSpan(lineStart, lineEnd - lineStart);
            if (line.IsWhiteSpace())
            {
                if (start >= 0)
                {
                    output.Add(new Range(start, lastContentEnd));
                    start = -1;
                }
            }
            else
            {
                if (start < 0)
                {
                    start = lineStart + (line.Length - line.TrimStart().Length);
                }

                lastContentEnd = lineStart + line.TrimEnd().Length;
            }

            if (newline < 0)
            {
                break;
            }

            lineStart = newline + 1;
        }

        if (start >= 0)
        {
            output.Add(new Range(start, lastContentEnd));
        }
    }

    /// <summary>Adds the ranges of the sentences in <c>text[start..end]</c>.</summary>
    public static void Sentences(string text, int start, int end, List<Range> output)
    {
        var sentenceStart = SkipWhitespace(text, start, end);
        var i = sentenceStart;
        while (i < end)
        {
            var c = text[i];
            if (!IsTerminator(c))
            {
                i++;
                continue;
            }

            var j = i + 1;
            while (j < end && IsTerminator(text[j]))
            {
                j++;
            }

            while (j < end && IsCloser(text[j]))
            {
                j++;
            }

            var boundary = j >= end
                || IsCjkTerminator(c)
                || (char.IsWhiteSpace(text[j]) && !IsFalseStop(text, sentenceStart, i, j, end));
            if (boundary && j < end)
            {
                output.Add(new Range(sentenceStart, j));
                sentenceStart = SkipWhitespace(text, j, end);
                i = sentenceStart;
                continue;
            }

            i = j;
        }

        if (sentenceStart < end)
        {
            var last = TrimEnd(text, sentenceStart, end);
            if (last > sentenceStart)
            {
                output.Add(new Range(sentenceStart, last));
            }
        }
    }

    /// <summary>Adds the whitespace-separated words in <c>text[start..end]</c>, flagging words that start a new line.</summary>
    public static void Words(string text, int start, int end, List<(Range Range, bool StartsLine)> output)
    {
        var i = start;
        var sawNewline = false;
        while (i < end)
        {
            if (char.IsWhiteSpace(text[i]))
            {
                sawNewline |= text[i] == '\n';
                i++;
                continue;
            }

            var wordStart = i;
            while (i < end && !char.IsWhiteSpace(text[i]))
            {
                i++;
            }

            output.Add((new Range(wordStart, i), sawNewline));
            sawNewline = false;
        }
    }

    private static bool IsFalseStop(string text, int sentenceStart, int terminator, int afterCloser, int end)
    {
        if (text[terminator] != '.')
        {
            return false;
        }

        // Next visible character: a lower-case continuation means the period did not end the sentence.
        var next = SkipWhitespace(text, afterCloser, end);
        if (next < end && char.IsLower(text[next]))
        {
            return true;
        }

        // The word before the period: abbreviations and single-letter initials ("J. Smith").
        var wordStart = terminator;
        while (wordStart > sentenceStart && !char.IsWhiteSpace(text[wordStart - 1]) && text[wordStart - 1] is not ('(' or '[' or '"'))
        {
            wordStart--;
        }

        var word = text.AsSpan(wordStart, terminator - wordStart);
        if (word.Length == 1 && char.IsLetter(word[0]))
        {
            return true;
        }

        return word.Length > 0 && AbbreviationLookup.Contains(word);
    }

    private static bool IsTerminator(char c) => c is '.' or '!' or '?' or '…' or '。' or '！' or '？';

    private static bool IsCjkTerminator(char c) => c is '。' or '！' or '？';

    private static bool IsCloser(char c) => c is '"' or '\'' or ')' or ']' or '”' or '’' or '»' or '」';

    private static int SkipWhitespace(string text, int i, int end)
    {
        while (i < end && char.IsWhiteSpace(text[i]))
        {
            i++;
        }

        return i;
    }

    private static int TrimEnd(string text, int start, int end)
    {
        while (end > start && char.IsWhiteSpace(text[end - 1]))
        {
            end--;
        }

        return end;
    }
}
