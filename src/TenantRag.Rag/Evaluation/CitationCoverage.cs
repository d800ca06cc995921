using System.Text.RegularExpressions;
using TenantRag.Rag.Generation;

namespace TenantRag.Rag.Evaluation;

/// <summary>
/// Whether every sentence of an answer carries a citation: a <c>[n]</c> marker follows it before the next sentence
/// starts. The text between markers (line breaks read as spaces, so a quoted command block is one piece) must be a
/// single sentence as <see cref="SentenceSplitter"/> reads it, and nothing but whitespace and punctuation may follow the
/// last marker.
/// </summary>
public static partial class CitationCoverage
{
    private static readonly char[] LeftOver = [' ', '.', ',', ';', ':', '!', '?', ')'];

    /// <summary>True when every sentence of <paramref name="answer"/> is followed by a citation; false for an empty answer.</summary>
    public static bool EverySentenceCited(string answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        var pieces = Markers().Split(answer);
        if (pieces.Length < 2)
        {
            return false; // no marker at all
        }

        // Split leaves the text after the last marker last: it must hold no words.
        if (pieces[^1].Any(char.IsLetterOrDigit))
        {
            return false;
        }

        // A piece may start with what was left of the previous sentence when its marker came before its full stop ("tests [1].").
        return pieces[..^1].All(piece => SentenceSplitter.Split(piece.ReplaceLineEndings(" ").TrimStart(LeftOver)).Count <= 1);
    }

    // One or more citation markers in a row ("[1]", "[1][2]", "[1] [3]") end one cited piece.
    [GeneratedRegex(@"(?:\s*\[\d+\])+", RegexOptions.CultureInvariant)]
    private static partial Regex Markers();
}
