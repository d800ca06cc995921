using System.Text;
using System.Text.RegularExpressions;

namespace TenantRag.Rag.Ingestion.Extraction.Pdf;

/// <summary>
/// Repairs the text of a PDF's pages, as PdfPig reads it line by line, into the text a reader sees: running headers and
/// footers and page numbers go, words hyphenated at a line's end are joined (<c>configu-</c> / <c>ration</c>), and
/// lines that only wrap at the margin are joined into their sentence, so a sentence is never cut into fragments.
/// </summary>
/// <remarks>
/// <para>
/// A running line is one of the first or last two lines of a page that is also (case and spacing aside) a first or
/// last line of other pages: of at least 3 pages, or of half the pages of a shorter document (at least 2). It
/// needs three letters, so a lone <c>}</c> closing a listing at the foot of pages is kept. A line there that is only a
/// page number (<c>7</c>, <c>- 7 -</c>, <c>Page 7 of 40</c>, <c>vii</c>) goes too, and so does one that starts or
/// ends with the page's printed number ("Chapter 3: Utilities 6") when the rest of it recurs there on another page and
/// enough pages show numbers that lag their position by the same amount (front matter is numbered apart). A page
/// whose every line would go keeps them, bare page numbers aside: a line repeated on pages that hold nothing else is
/// the document's text, not a header over it.
/// </para>
/// <para>
/// A line is joined to the next line of its paragraph when it reached the margin (at least 70% of the document's long
/// lines, the 90th percentile of line lengths) and ends inside a sentence (on a word, a number, a comma), and the next
/// line does not start a list item or an option. Short lines (headings, listings, lines of a table) stay lines.
/// </para>
/// </remarks>
internal static partial class PdfTextRepair
{
    private const int Zone = 2;
    private const int MinRunningPages = 3;
    private const int MinRunningLetters = 3;
    private const double WrappedLineShare = 0.7;
    private const int MaxRunningLineLength = 100;

    /// <summary>The repaired text of each page of <paramref name="pages"/> (same count and order); blank pages stay empty.</summary>
    public static string[] Repair(IReadOnlyList<string> pages)
    {
        ArgumentNullException.ThrowIfNull(pages);
        var lines = pages.Select(p => p.Split('\n')).ToArray();
        var running = RunningShapes(lines);
        var numbered = NumberedShapes(lines);
        var offset = PageNumberOffset(lines);
        var margin = WrappedLineShare * LongLineLength(lines);
        var repaired = new string[lines.Length];
        for (var p = 0; p < lines.Length; p++)
        {
            repaired[p] = JoinWrapped(WithoutRunningLines(lines[p], running, numbered, offset is { } o ? p + 1 - o : null), margin);
        }

        return repaired;
    }

    /// <summary>
    /// How far the printed page numbers lag the pages' positions, when the top or bottom lines of enough pages start or
    /// end with a number that lags by the same amount ("Chapter 3: Utilities 6" on the ninth page: 3); null otherwise.
    /// </summary>
    private static int? PageNumberOffset(string[][] pages)
    {
        var counts = new Dictionary<int, int>();
        for (var p = 0; p < pages.Length; p++)
        {
            foreach (var offset in ZoneLines(pages[p]).SelectMany(i => EdgeNumbers(pages[p][i])).Select(n => p + 1 - n).Distinct())
            {
                counts[offset] = counts.GetValueOrDefault(offset) + 1;
            }
        }

        var best = counts.OrderByDescending(c => c.Value).ThenBy(c => Math.Abs(c.Key)).FirstOrDefault();
        return best.Value >= Needed(pages.Length) ? best.Key : null;
    }

    private static IEnumerable<int> EdgeNumbers(string line)
    {
        var match = EdgeNumber().Match(line);
        if (match.Success)
        {
            foreach (var group in new[] { match.Groups[1], match.Groups[2] }.Where(g => g.Success))
            {
                yield return int.Parse(group.Value, System.Globalization.CultureInfo.InvariantCulture);
            }
        }
    }

    private static int Needed(int pages) => Math.Max(2, Math.Min(MinRunningPages, (pages + 1) / 2));

    /// <summary>The shapes of lines that recur in the top or bottom zone of enough pages to be running headers or footers.</summary>
    private static HashSet<string> RunningShapes(string[][] pages) =>
        Recurring(pages, line => Shape(line), Needed(pages.Length));

    /// <summary>
    /// The shapes, their page number taken off, of numbered lines that recur in the top or bottom zone of at least two
    /// pages ("Chapter 3: Utilities" of "Chapter 3: Utilities 6" and "... 7"), so a chapter's heading that happens to
    /// start with its page's number ("1 Introduction" on page 1) is not one.
    /// </summary>
    private static HashSet<string> NumberedShapes(string[][] pages) =>
        Recurring(pages, line => EdgeNumber().IsMatch(line) ? Shape(EdgeNumber().Replace(line, " ")) : null, 2);

    private static HashSet<string> Recurring(string[][] pages, Func<string, string?> shapeOf, int needed)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var page in pages)
        {
            var shapes = ZoneLines(page).Select(i => shapeOf(page[i])).OfType<string>();
            foreach (var shape in shapes.Where(s => s.Count(char.IsLetter) >= MinRunningLetters).Distinct())
            {
                counts[shape] = counts.GetValueOrDefault(shape) + 1;
            }
        }

        return counts.Where(c => c.Value >= needed).Select(c => c.Key).ToHashSet(StringComparer.Ordinal);
    }

    private static List<string> WithoutRunningLines(string[] page, HashSet<string> running, HashSet<string> numbered, int? printedNumber)
    {
        var drop = ZoneLines(page)
            .Where(i => running.Contains(Shape(page[i])) || PageNumber().IsMatch(page[i])
                || (printedNumber is { } n && page[i].Length <= MaxRunningLineLength && EdgeNumbers(page[i]).Contains(n)
                    && numbered.Contains(Shape(EdgeNumber().Replace(page[i], " ")))))
            .ToHashSet();
        if (Enumerable.Range(0, page.Length).All(i => drop.Contains(i) || string.IsNullOrWhiteSpace(page[i])))
        {
            // A header runs above a page's text: a line that is all a page holds (slides, a one-line form repeated) is
            // its text. Only a bare page number goes from such a page.
            drop.RemoveWhere(i => !PageNumber().IsMatch(page[i]));
        }

        return page.Where((_, i) => !drop.Contains(i)).ToList();
    }

    // Indexes of the first and last Zone non-blank lines of a page.
    private static IEnumerable<int> ZoneLines(string[] page)
    {
        var content = Enumerable.Range(0, page.Length).Where(i => !string.IsNullOrWhiteSpace(page[i])).ToList();
        return content.Take(Zone).Concat(content.Skip(Math.Max(Zone, content.Count - Zone)));
    }

    // A line as a header repeats it: case and runs of whitespace aside. Digits count, so numbered content lines differ.
    private static string Shape(string line) => TextContent.CollapseWhitespace(line).ToLowerInvariant();

    private static double LongLineLength(string[][] pages)
    {
        var lengths = pages.SelectMany(p => p).Select(l => l.TrimEnd().Length).Where(l => l > 0).Order().ToArray();
        return lengths.Length == 0 ? 0 : lengths[(int)Math.Min(lengths.Length - 1, Math.Ceiling(lengths.Length * 0.9) - 1)];
    }

    private static string JoinWrapped(List<string> lines, double margin)
    {
        var text = new StringBuilder();
        var joined = false;
        for (var i = 0; i < lines.Count; i++)
        {
            var line = joined ? lines[i].Trim() : lines[i].TrimEnd();
            joined = false;
            if (text.Length == 0 && line.Length == 0)
            {
                continue;
            }

            text.Append(line);
            if (i + 1 == lines.Count)
            {
                break;
            }

            var next = lines[i + 1].TrimStart();
            if (line.Length == 0 || next.Length == 0)
            {
                text.Append('\n');
            }
            else if (line.Length >= 2 && line[^1] == '-' && char.IsLower(line[^2]) && char.IsLower(next[0]))
            {
                text.Length--; // "configu-" + "ration": the hyphen only broke the word
                joined = true;
            }
            else
            {
                joined = Wraps(line, next, margin);
                text.Append(joined ? ' ' : '\n');
            }
        }

        return BlankLines().Replace(text.ToString().Trim('\n'), "\n\n");
    }

    // A line that wraps ends inside a sentence: on a word, a number, a comma, a closing bracket or quote.
    private static bool Wraps(string line, string next, double margin) =>
        line.Length >= margin && (char.IsLetterOrDigit(line[^1]) || line[^1] is ',' or ')' or '"' or '\u2019' or '\u201D') && !ListItem().IsMatch(next);

    // A number at the start or the end of a line, apart from its words: "6", "Chapter 3: Utilities 6", "12 | Guide".
    [GeneratedRegex(@"^\s*(\d{1,4})(?:\s|$)|\s(\d{1,4})\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex EdgeNumber();

    // A page number alone on its line: 7, - 7 -, Page 7, Page 7 of 40, 7 / 40, or a lower-case roman numeral.
    [GeneratedRegex(@"^\s*((page\s+)?\d{1,4}(\s*(of|/)\s*\d{1,4})?|[-–—]\s*\d{1,4}\s*[-–—]|[ivxlc]{1,7})\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex PageNumber();

    // A bullet, a dash, an option (-v, --version), or a number or letter with '.' or ')' starting a list item.
    [GeneratedRegex(@"^([•◦▪‣●○*–—-]\s|--?\w|(\d{1,3}|[a-z])[.)]\s)", RegexOptions.CultureInvariant)]
    private static partial Regex ListItem();

    [GeneratedRegex(@"\n{3,}", RegexOptions.CultureInvariant)]
    private static partial Regex BlankLines();
}
