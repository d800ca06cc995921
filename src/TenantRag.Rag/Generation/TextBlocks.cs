using System.Text.RegularExpressions;

namespace TenantRag.Rag.Generation;

/// <summary>
/// Reads a passage as paragraphs (text between blank lines, as every extractor writes them) and tells code from prose
/// by its shape, since extracted text keeps no markup: a paragraph is code when its lines are shaped like commands or
/// configuration (<c>$ cargo test foo</c>, <c>opt-level = 3</c>, <c>[dependencies]</c>, lines ending in braces),
/// or when it is one short line without a sentence's end right after a sentence that ends with a colon ("... by
/// passing a filter:" then <c>cargo test foo</c>). A short line starting with <c>-</c> or <c>+</c> is a term (an
/// option, as command references list them) whose description follows.
/// </summary>
internal static partial class TextBlocks
{
    private const int MaxTermWords = 4;
    private const int MaxIntroducedLineWords = 8;

    private static readonly HashSet<string> FunctionWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "a", "an", "the", "of", "to", "in", "is", "are", "and", "or", "with", "for", "on", "by", "that", "this", "it", "be", "as", "from",
    };

    /// <summary>The paragraphs of <paramref name="passage"/>, in order, each with its kind.</summary>
    public static List<TextBlock> Of(string passage)
    {
        ArgumentNullException.ThrowIfNull(passage);
        var blocks = new List<TextBlock>();
        foreach (var paragraph in passage.Split("\n\n"))
        {
            var text = paragraph.Trim('\n');
            if (string.IsNullOrWhiteSpace(text))
            {
                continue;
            }

            var introduced = blocks.Count > 0 && blocks[^1].Introduces;
            blocks.Add(new TextBlock(Classify(text, introduced), text));
        }

        return blocks;
    }

    /// <summary>Whether one line is shaped like code: a prompt, a comment, a table header, an assignment, a call, braces, or a command with options.</summary>
    public static bool IsCodeLine(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        var text = line.Trim();
        if (text.Length == 0)
        {
            return false;
        }

        if (text.StartsWith("$ ", StringComparison.Ordinal) || text.StartsWith('#') || text.StartsWith("//", StringComparison.Ordinal))
        {
            return true;
        }

        if (EndsSentence(text))
        {
            return false;
        }

        return (text[0] == '[' && text.Contains(']', StringComparison.Ordinal))
            || text[^1] is '{' or '}' or ';'
            || CodeToken().IsMatch(text)
            || IsCommand(text);
    }

    // A lower-case program name, then arguments (one an option, a path or an identifier with '_', '@' or '='), and
    // hardly a function word: "cargo test foo -- --test-threads 3", not "lib - used to link with binaries".
    private static bool IsCommand(string text)
    {
        var words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length < 2 || !char.IsAsciiLetterLower(words[0][0]) || !words[0].All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            return false;
        }

        var arguments = 0;
        var functionWords = 0;
        foreach (var word in words.AsSpan(1))
        {
            arguments += word.StartsWith('-') || word.AsSpan().IndexOfAny("/_@=") >= 0 ? 1 : 0;
            functionWords += FunctionWords.Contains(word) ? 1 : 0;
        }

        return arguments > 0 && functionWords <= 1;
    }

    private static TextBlockKind Classify(string text, bool introduced)
    {
        var lines = text.Split('\n').Where(l => !string.IsNullOrWhiteSpace(l)).ToArray();
        if (lines.Any(l => l.TrimStart().StartsWith("$ ", StringComparison.Ordinal)))
        {
            return TextBlockKind.Code;
        }

        if (lines.Length > 1)
        {
            // Lines of prose (a table's rows, lines broken with <br>) end like sentences or read as words; listings do not.
            var codeLike = lines.Count(l => IsCodeLine(l) || (l.Length > 2 && l[0] == ' ' && l[1] == ' '));
            return codeLike * 2 >= lines.Length ? TextBlockKind.Code : TextBlockKind.Prose;
        }

        var line = lines[0].Trim();
        var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        if (line[0] is '-' or '+' && words <= MaxTermWords && !EndsClause(line))
        {
            return TextBlockKind.Term;
        }

        if (IsCodeLine(line))
        {
            return TextBlockKind.Code;
        }

        // "... by passing a filter:" then "cargo test foo": what a colon introduces, when it is not a sentence.
        return introduced && words <= MaxIntroducedLineWords && !EndsClause(line) && char.IsAscii(line[0]) && !char.IsUpper(line[0])
            ? TextBlockKind.Code
            : TextBlockKind.Prose;
    }

    private static bool EndsSentence(string text) => text[^1] is '.' or '!' or '?';

    private static bool EndsClause(string text) => text[^1] is '.' or '!' or '?' or ':' or ';' or ',';

    // An assignment (key = value, key="..."), a path separator, a function call or block, an arrow.
    [GeneratedRegex(@"\s=\s|\w=[""'\[{\w]|=\s*[""'\[{]|::|=>|->|\(\)|[{}]|\w\(\w*\)?;|^\./", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex CodeToken();

}
