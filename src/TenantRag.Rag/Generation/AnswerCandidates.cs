using System.Text;
using System.Text.RegularExpressions;
using TenantRag.Rag.Retrieval.Search;

namespace TenantRag.Rag.Generation;

/// <summary>
/// Reads the retrieved passages into what an extractive answer may quote (<see cref="AnswerCandidate"/>): each sentence
/// of their prose, with the options a reference lists just before it (<c>--no-run</c>, then "Compile, but don't run
/// tests.") and, when it ends with a colon, the code it introduces ("... by passing a filter:" then
/// <c>$ cargo test foo</c>); and each code block that no sentence introduces. Code is quoted whole, in backticks.
/// </summary>
internal static partial class AnswerCandidates
{
    /// <summary>Shorter sentences say too little to quote unless they carry an option or code.</summary>
    private const int MinSentenceWords = 4;

    /// <summary>A line without a sentence's end this short is a label or a list entry (a contents list, a heading), not a statement.</summary>
    private const int MinUnpunctuatedWords = 8;

    /// <summary>A code block is quoted up to this many lines; longer ones end with "…".</summary>
    private const int MaxCodeLines = 8;

    /// <summary>At most this many options lead a sentence ("-r, --release: ...").</summary>
    private const int MaxTerms = 3;

    /// <summary>The candidates of <paramref name="hits"/> (best first), at most <paramref name="max"/>, each distinct sentence once (for the better-ranked passage).</summary>
    public static List<AnswerCandidate> From(IReadOnlyList<SearchHit> hits, int max)
    {
        ArgumentNullException.ThrowIfNull(hits);
        var candidates = new List<AnswerCandidate>();
        var seen = new List<string>();
        for (var h = 0; h < hits.Count && candidates.Count < max; h++)
        {
            var (context, section) = Headings(hits[h].Chunk.Heading);
            var reader = new PassageReader(hits[h].Chunk.Content, context, section, h);
            foreach (var candidate in reader.Read())
            {
                // Overlapping chunks repeat sentences, and a chunk may start inside one: a sentence contained in one already taken is not new.
                var key = candidate.Text;
                if (seen.Exists(s => s.Contains(key, StringComparison.OrdinalIgnoreCase) || key.Contains(s, StringComparison.OrdinalIgnoreCase)))
                {
                    continue;
                }

                seen.Add(key);
                candidates.Add(candidate);
                if (candidates.Count == max)
                {
                    break;
                }
            }
        }

        return candidates;
    }

    /// <summary>Code as an answer quotes it: one line in backticks, several in a fenced block (a fence longer than any backtick run inside).</summary>
    public static string Quote(string code)
    {
        ArgumentNullException.ThrowIfNull(code);
        var lines = code.Split('\n');
        var body = lines.Length > MaxCodeLines ? string.Join('\n', lines.Take(MaxCodeLines)) + "\n…" : code;
        var fence = new string('`', LongestBacktickRun(body) + 1);
        if (lines.Length == 1)
        {
            body = body.Trim();
            return body.StartsWith('`') || body.EndsWith('`') ? $"{fence} {body} {fence}" : fence + body + fence;
        }

        fence = fence.Length < 3 ? "```" : fence;
        return $"{fence}\n{body}\n{fence}";
    }

    /// <summary>
    /// What a chunk's heading path ("Title > Chapter > Section") puts in front of its sentences: the document's title and the
    /// innermost heading ("cargo clean > DESCRIPTION": a sentence saying "This command..." needs the title to say which),
    /// and the innermost heading alone, whose words rank candidates.
    /// </summary>
    private static (string Context, string Section) Headings(string heading)
    {
        var first = heading.IndexOf(" > ", StringComparison.Ordinal);
        var last = heading.LastIndexOf(" > ", StringComparison.Ordinal);
        return first < 0 ? (heading, heading) : (string.Concat(heading.AsSpan(0, first), " > ", heading.AsSpan(last + 3)), heading[(last + 3)..]);
    }

    private static int LongestBacktickRun(string text)
    {
        int longest = 0, run = 0;
        foreach (var c in text)
        {
            run = c == '`' ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }

        return longest;
    }

    // An option, a path, an identifier or variable with '_' or '::', a file name, a table name, an assignment.
    [GeneratedRegex(@"(^|\s)--?[a-zA-Z][\w-]*|\w/\w|\w_\w|::|\b[a-z][\w-]*\.(toml|json|yml|yaml|lock|rs|py|sh|cs|js|ts|md|txt|cfg|ini|xml)\b|\[[a-z][\w.-]*\]|\w\s?=\s?[""'\w\[{]", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex InlineCode();

    /// <summary>Reads one passage's blocks into candidates, in reading order.</summary>
    private sealed class PassageReader(string passage, string heading, string section, int hitIndex)
    {
        private readonly HashSet<string> _headingTerms = QuestionTerms.Of(section);
        private int _position;

        public IEnumerable<AnswerCandidate> Read()
        {
            var blocks = TextBlocks.Of(passage);
            for (var b = 0; b < blocks.Count; b++)
            {
                switch (blocks[b].Kind)
                {
                    case TextBlockKind.Code when !Introduced(blocks, b):
                        yield return Candidate(Quote(blocks[b].Text), FirstLines(blocks[b].Text), instruction: 1f);
                        break;
                    case TextBlockKind.Prose:
                        foreach (var candidate in Sentences(blocks, b))
                        {
                            yield return candidate;
                        }

                        break;
                }
            }
        }

        private static bool Introduced(List<TextBlock> blocks, int b) => b > 0 && blocks[b - 1].Introduces;

        private IEnumerable<AnswerCandidate> Sentences(List<TextBlock> blocks, int b)
        {
            var terms = new List<string>();
            for (var t = b - 1; t >= 0 && blocks[t].Kind == TextBlockKind.Term && terms.Count < MaxTerms; t--)
            {
                terms.Insert(0, blocks[t].Text.Trim());
            }

            var sentences = SentenceSplitter.Split(blocks[b].Text);
            for (var s = 0; s < sentences.Count; s++)
            {
                var sentence = sentences[s];
                var lead = s == 0 && terms.Count > 0 ? terms : null;
                var code = s == sentences.Count - 1 && sentence.EndsWith(':') && b + 1 < blocks.Count && blocks[b + 1].Kind == TextBlockKind.Code
                    ? blocks[b + 1].Text
                    : null;
                var words = sentence.Split(' ').Length;
                var punctuated = sentence[^1] is '.' or '!' or '?' or ':';
                if (lead is null && code is null && (words < MinSentenceWords || (!punctuated && words < MinUnpunctuatedWords)))
                {
                    continue;
                }

                var text = new StringBuilder();
                if (lead is not null)
                {
                    text.AppendJoin(", ", lead.Select(Quote)).Append(": ");
                }

                text.Append(sentence);
                if (code is not null)
                {
                    var quoted = Quote(code);
                    text.Append(quoted.Contains('\n', StringComparison.Ordinal) ? '\n' : ' ').Append(quoted);
                }

                var context = lead is null ? sentence : string.Join(' ', lead) + ": " + sentence;
                var instruction = lead is not null || code is not null ? 1f : InlineCode().IsMatch(sentence) ? 0.5f : 0f;
                yield return Candidate(text.ToString(), context, instruction);
            }
        }

        private AnswerCandidate Candidate(string text, string context, float instruction) => new()
        {
            Text = text,
            Context = heading.Length == 0 ? context : heading + ": " + context,
            Terms = QuestionTerms.Of(text),
            HeadingTerms = _headingTerms,
            HitIndex = hitIndex,
            Position = _position++,
            Instruction = instruction,
        };

        private static string FirstLines(string code) => string.Join(' ', code.Split('\n').Take(3).Select(l => l.Trim()));
    }
}
