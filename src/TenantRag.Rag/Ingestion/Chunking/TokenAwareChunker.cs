using System.Text;
using TenantRag.Rag.Embeddings;
using TenantRag.Rag.Ingestion.Extraction;

namespace TenantRag.Rag.Ingestion.Chunking;

/// <summary>
/// Splits documents into chunks of about <see cref="ChunkingOptions.TargetTokens"/> tokens.
/// Text is cut at paragraph ends first, then sentence ends, and only inside a sentence that alone exceeds the target
/// (at line breaks, else between words; never inside a word unless the word alone exceeds the hard cap).
/// Consecutive chunks of the same section overlap by about <see cref="ChunkingOptions.OverlapRatio"/> of the target
/// (whole trailing sentences, or trailing words when the last sentence is too long). Small sections are merged.
/// Tokens are counted once per sentence and once per finished chunk, so the cost is linear in the text length.
/// </summary>
public sealed class TokenAwareChunker : IDocumentChunker
{
    /// <summary>A chunk is cut back to an earlier paragraph end only if it keeps at least this fraction of the target.</summary>
    private const double ParagraphCutMinFill = 0.5;

    /// <summary>An overlap may exceed its budget by at most this factor when that brings it closer to the budget.</summary>
    private const double OverlapSlack = 1.5;

    private readonly ITokenCounter _tokenCounter;
    private readonly ChunkingOptions _options;

    /// <summary>Creates the chunker.</summary>
    /// <param name="tokenCounter">Counts tokens with the embedding model's tokenizer.</param>
    /// <param name="options">Chunk sizes; defaults when <see langword="null"/>. Validated here.</param>
    public TokenAwareChunker(ITokenCounter tokenCounter, ChunkingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(tokenCounter);
        options ??= new ChunkingOptions();
        options.Validate();
        _tokenCounter = tokenCounter;
        _options = options;
    }

    /// <inheritdoc />
    public IReadOnlyList<DocumentChunk> Chunk(ExtractedDocument document, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(document);
        var units = BuildUnits(document, cancellationToken);
        if (units.Count == 0)
        {
            return [];
        }

        // remaining[i] = tokens of units i .. end of unit i's section.
        var remaining = new int[units.Count];
        for (var i = units.Count - 1; i >= 0; i--)
        {
            var sameSectionNext = i + 1 < units.Count && units[i + 1].Section == units[i].Section;
            remaining[i] = units[i].Tokens + (sameSectionNext ? remaining[i + 1] : 0);
        }

        var target = _options.TargetTokens;
        var max = _options.MaxTokens;
        var chunks = new List<DocumentChunk>();
        var next = 0;
        Overlap? overlap = null;
        while (next < units.Count)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var section = units[next].Section;
            var first = overlap?.Unit ?? next;
            var startOffset = overlap?.StartOffset ?? units[next].Start;
            var tokens = overlap?.Tokens ?? 0;
            var startsAtSectionStart = overlap is null && (next == 0 || units[next - 1].Section != section);
            var end = next;
            var overflow = false;
            while (end < units.Count)
            {
                var unit = units[end];
                if (end > next && unit.Section != units[end - 1].Section)
                {
                    // Section boundary: merge the whole next section only into a chunk made of whole small sections.
                    if (!_options.MergeSmallSections || !startsAtSectionStart || tokens + remaining[end] > target)
                    {
                        break;
                    }

                    tokens += remaining[end];
                    end = SectionEnd(units, end);
                    continue;
                }

                if (end > next && tokens + unit.Tokens > target)
                {
                    if (tokens + remaining[end] <= max)
                    {
                        // The rest of the section fits under the hard cap: take it rather than leave a small tail.
                        tokens += remaining[end];
                        end = SectionEnd(units, end);
                    }
                    else
                    {
                        overflow = true;
                    }

                    break;
                }

                if (end == next && first < next && tokens + unit.Tokens > max)
                {
                    // The overlap would push the first new unit over the cap: drop the overlap.
                    first = next;
                    startOffset = unit.Start;
                    tokens = 0;
                }

                tokens += unit.Tokens;
                end++;
            }

            if (overflow)
            {
                end = PreferParagraphEnd(units, next, end, tokens, target * ParagraphCutMinFill);
            }

            var (text, tokenCount) = MeasureWithinCap(document, units, ref first, ref startOffset, next, ref end);
            var firstSection = units[first].Section;
            chunks.Add(new DocumentChunk
            {
                Ordinal = chunks.Count,
                Text = text,
                TokenCount = tokenCount,
                DocumentTitle = document.Title,
                HeadingPath = document.Sections[firstSection].HeadingPath,
                PageNumber = document.Sections[firstSection].PageNumber,
                SectionIndex = firstSection,
                LastSectionIndex = units[end - 1].Section,
                StartOffset = startOffset,
                EndOffset = units[end - 1].End,
            });

            overlap = end < units.Count && units[end].Section == units[end - 1].Section
                ? ComputeOverlap(document, units, next, end)
                : null;
            next = end;
        }

        return chunks;
    }

    private static int SectionEnd(List<Unit> units, int index)
    {
        var section = units[index].Section;
        while (index < units.Count && units[index].Section == section)
        {
            index++;
        }

        return index;
    }

    /// <summary>Moves the cut back to the last paragraph end inside the chunk when that keeps it reasonably full.</summary>
    private static int PreferParagraphEnd(List<Unit> units, int next, int end, int tokens, double minTokens)
    {
        var running = tokens;
        for (var k = end; k > next; k--)
        {
            if (units[k - 1].EndsParagraph)
            {
                return running >= minTokens ? k : end;
            }

            running -= units[k - 1].Tokens;
        }

        return end;
    }

    /// <summary>
    /// Builds the chunk text and counts its tokens exactly; if the sum of per-sentence estimates was optimistic and the
    /// chunk exceeds the cap, the overlap and then trailing units are dropped until it fits.
    /// </summary>
    private (string Text, int Tokens) MeasureWithinCap(ExtractedDocument document, List<Unit> units, ref int first, ref int startOffset, int next, ref int end)
    {
        while (true)
        {
            var text = BuildText(document, units, first, startOffset, end);
            var count = _tokenCounter.CountTokens(text);
            if (count <= _options.MaxTokens)
            {
                return (text, count);
            }

            if (first < next)
            {
                first = next;
                startOffset = units[next].Start;
            }
            else if (end - next > 1)
            {
                end--;
            }
            else
            {
                return (text, count);
            }
        }
    }

    private static string BuildText(ExtractedDocument document, List<Unit> units, int first, int startOffset, int end)
    {
        var lastUnit = units[end - 1];
        if (units[first].Section == lastUnit.Section)
        {
            return document.Sections[lastUnit.Section].Text[startOffset..lastUnit.End];
        }

        var builder = new StringBuilder();
        var segmentStart = startOffset;
        for (var u = first; u < end; u++)
        {
            var isLastOfSegment = u == end - 1 || units[u + 1].Section != units[u].Section;
            if (!isLastOfSegment)
            {
                continue;
            }

            if (builder.Length > 0)
            {
                builder.Append("\n\n");
            }

            builder.Append(document.Sections[units[u].Section].Text.AsSpan(segmentStart, units[u].End - segmentStart));
            if (u + 1 < end)
            {
                segmentStart = units[u + 1].Start;
            }
        }

        return builder.ToString();
    }

    /// <summary>Chooses the trailing sentences (or words) of the chunk ending at <paramref name="end"/> to repeat next.</summary>
    private Overlap? ComputeOverlap(ExtractedDocument document, List<Unit> units, int next, int end)
    {
        var budget = _options.OverlapTokens;
        if (budget <= 0)
        {
            return null;
        }

        var sum = 0;
        var k = end;
        while (k - 1 >= next)
        {
            var candidate = sum + units[k - 1].Tokens;
            var closer = candidate <= budget || (candidate <= budget * OverlapSlack && candidate - budget < budget - sum);
            if (!closer)
            {
                break;
            }

            sum = candidate;
            k--;
        }

        if (k < end)
        {
            return new Overlap(k, units[k].Start, sum);
        }

        // The last sentence alone is too long: repeat its trailing words instead.
        var last = units[end - 1];
        var text = document.Sections[last.Section].Text;
        var words = new List<(Range Range, bool StartsLine)>();
        TextSegmenter.Words(text, last.Start, last.End, words);
        var taken = words.Count;
        sum = 0;
        while (taken > 1)
        {
            var wordTokens = _tokenCounter.CountTokens(text[words[taken - 1].Range]);
            if (sum + wordTokens > budget)
            {
                break;
            }

            sum += wordTokens;
            taken--;
        }

        return taken < words.Count ? new Overlap(end - 1, words[taken].Range.Start.Value, sum) : null;
    }

    private List<Unit> BuildUnits(ExtractedDocument document, CancellationToken cancellationToken)
    {
        var units = new List<Unit>();
        var paragraphs = new List<Range>();
        var sentences = new List<Range>();
        for (var s = 0; s < document.Sections.Count; s++)
        {
            var text = document.Sections[s].Text;
            if (string.IsNullOrWhiteSpace(text))
            {
                continue;
            }

            paragraphs.Clear();
            TextSegmenter.Paragraphs(text, paragraphs);
            foreach (var paragraph in paragraphs)
            {
                cancellationToken.ThrowIfCancellationRequested();
                sentences.Clear();
                var (pStart, pLength) = paragraph.GetOffsetAndLength(text.Length);
                TextSegmenter.Sentences(text, pStart, pStart + pLength, sentences);
                for (var i = 0; i < sentences.Count; i++)
                {
                    var (start, length) = sentences[i].GetOffsetAndLength(text.Length);
                    var endsParagraph = i == sentences.Count - 1;
                    var tokens = _tokenCounter.CountTokens(text.Substring(start, length));
                    if (tokens <= _options.TargetTokens)
                    {
                        units.Add(new Unit(s, start, start + length, tokens, endsParagraph));
                    }
                    else
                    {
                        SplitLongSentence(s, text, start, start + length, tokens, endsParagraph, units);
                    }
                }
            }
        }

        return units;
    }

    /// <summary>Splits a sentence longer than the target into balanced pieces at line breaks or between words.</summary>
    private void SplitLongSentence(int section, string text, int start, int end, int tokens, bool endsParagraph, List<Unit> units)
    {
        var target = _options.TargetTokens;
        var words = new List<(Range Range, bool StartsLine)>();
        TextSegmenter.Words(text, start, end, words);
        var wordTokens = new int[words.Count];
        var total = 0;
        for (var i = 0; i < words.Count; i++)
        {
            wordTokens[i] = _tokenCounter.CountTokens(text[words[i].Range]);
            total += wordTokens[i];
        }

        var pieces = Math.Max(1, (int)Math.Ceiling(Math.Max(total, tokens) / (double)target));
        var budget = Math.Min(target, (int)Math.Ceiling(total / (double)pieces));
        var firstUnit = units.Count;
        var pieceStart = 0;
        var pieceTokens = 0;
        for (var w = 0; w < words.Count; w++)
        {
            if (wordTokens[w] > _options.MaxTokens)
            {
                EmitPiece(pieceStart, w, pieceTokens);
                SplitGiantWord(section, text, words[w].Range, wordTokens[w], units);
                pieceStart = w + 1;
                pieceTokens = 0;
                continue;
            }

            if (w > pieceStart && pieceTokens + wordTokens[w] > budget)
            {
                // Prefer the last line break in the piece when it keeps the piece at least half full.
                var cut = w;
                var running = pieceTokens;
                for (var k = w - 1; k > pieceStart; k--)
                {
                    running -= wordTokens[k];
                    if (words[k].StartsLine)
                    {
                        if (running >= budget * ParagraphCutMinFill)
                        {
                            cut = k;
                        }

                        break;
                    }
                }

                var cutTokens = 0;
                for (var k = pieceStart; k < cut; k++)
                {
                    cutTokens += wordTokens[k];
                }

                EmitPiece(pieceStart, cut, cutTokens);
                pieceStart = cut;
                pieceTokens -= cutTokens;
            }

            pieceTokens += wordTokens[w];
        }

        EmitPiece(pieceStart, words.Count, pieceTokens);
        if (units.Count > firstUnit && endsParagraph)
        {
            units[^1] = units[^1] with { EndsParagraph = true };
        }

        void EmitPiece(int fromWord, int toWord, int pieceTokenCount)
        {
            if (toWord > fromWord)
            {
                units.Add(new Unit(section, words[fromWord].Range.Start.Value, words[toWord - 1].Range.End.Value, pieceTokenCount, false));
            }
        }
    }

    /// <summary>Last resort for a single "word" over the hard cap (a URL, a base64 blob): cut it by characters.</summary>
    private void SplitGiantWord(int section, string text, Range word, int tokens, List<Unit> units)
    {
        var (start, length) = word.GetOffsetAndLength(text.Length);
        var pieces = (int)Math.Ceiling(tokens / (double)_options.TargetTokens);
        var pieceLength = Math.Max(1, (int)Math.Ceiling(length / (double)pieces));
        var position = start;
        var end = start + length;
        while (position < end)
        {
            var pieceEnd = Math.Min(end, position + pieceLength);
            if (pieceEnd < end && char.IsLowSurrogate(text[pieceEnd]))
            {
                pieceEnd++;
            }

            units.Add(new Unit(section, position, pieceEnd, _tokenCounter.CountTokens(text[position..pieceEnd]), false));
            position = pieceEnd;
        }
    }

    private readonly record struct Unit(int Section, int Start, int End, int Tokens, bool EndsParagraph);

    private readonly record struct Overlap(int Unit, int StartOffset, int Tokens);
}
