using System.Buffers;
using FastBertTokenizer;

namespace TenantRag.Rag.Embeddings;

/// <summary>
/// The WordPiece tokenizer of all-MiniLM-L6-v2 (uncased BERT vocabulary). Counts tokens exactly as the
/// embedding model sees them, and splits text into pieces of a bounded token count. Thread-safe.
/// </summary>
/// <remarks>
/// Text is lowercased and accent-stripped ("Café" and "cafe" are the same tokens) by a built-in table rather than
/// by <see cref="string.Normalize()"/>, so results are the same with or without InvariantGlobalization.
/// </remarks>
public sealed class MiniLmTokenizer : ITokenCounter
{
    /// <summary>The longest input, in tokens including <c>[CLS]</c> and <c>[SEP]</c>, the model accepts.</summary>
    public const int ModelMaxSequenceLength = 512;

    /// <summary>Special tokens the model adds around every input (<c>[CLS]</c> and <c>[SEP]</c>).</summary>
    public const int SpecialTokenCount = 2;

    private readonly BertTokenizer _tokenizer;

    // FastBertTokenizer keeps per-instance scratch state, so concurrent Encode calls on one instance are not safe.
    private readonly Lock _gate = new();

    private MiniLmTokenizer(BertTokenizer tokenizer, int maxSequenceLength)
    {
        _tokenizer = tokenizer;
        MaxSequenceLength = maxSequenceLength;
    }

    /// <summary>
    /// Gets the number of tokens, including <c>[CLS]</c> and <c>[SEP]</c>, that inputs are cut to before
    /// embedding. Inputs longer than this are truncated, so chunks should hold at most
    /// <c>MaxSequenceLength - SpecialTokenCount</c> tokens as counted by <see cref="CountTokens(string)"/>.
    /// </summary>
    public int MaxSequenceLength { get; }

    /// <summary>Gets the most content tokens (excluding special tokens) that are embedded without truncation.</summary>
    public int MaxContentTokens => MaxSequenceLength - SpecialTokenCount;

    /// <summary>Creates a tokenizer from the vocabulary in the bundled model file.</summary>
    /// <param name="modelPath">
    /// Path of the bundled model file; <see langword="null"/> for <c>models/all-MiniLM-L6-v2.bin</c> beside the application.
    /// </param>
    /// <param name="maxSequenceLength">Token limit (including special tokens) inputs are cut to, 3 to 512.</param>
    /// <returns>The tokenizer.</returns>
    public static MiniLmTokenizer LoadBundled(string? modelPath = null, int maxSequenceLength = ModelMaxSequenceLength)
    {
        ValidateMaxSequenceLength(maxSequenceLength);
        return FromVocabulary(new StringReader(MiniLmModelFiles.ReadVocabulary(modelPath)), maxSequenceLength);
    }

    /// <summary>Creates a tokenizer from a BERT <c>vocab.txt</c> (one token per line, the line number being its id).</summary>
    /// <param name="vocabulary">Reader over the vocabulary text.</param>
    /// <param name="maxSequenceLength">Token limit (including special tokens) inputs are cut to, 3 to 512.</param>
    /// <returns>The tokenizer.</returns>
    public static MiniLmTokenizer FromVocabulary(TextReader vocabulary, int maxSequenceLength = ModelMaxSequenceLength)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        ValidateMaxSequenceLength(maxSequenceLength);
        var tokenizer = new BertTokenizer();

        // Lowercasing is forced on: the model is uncased, but its vocabulary contains a capital "ℝ",
        // which makes case auto-detection conclude the vocabulary is cased.
        tokenizer.LoadVocabulary(vocabulary, convertInputToLowercase: true);
        return new MiniLmTokenizer(tokenizer, maxSequenceLength);
    }

    /// <inheritdoc />
    public int CountTokens(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0)
        {
            return 0;
        }

        text = UnicodeFolding.Fold(text);

        // Almost every token consumes at least one character, so length + 2 usually suffices; Encode fills the
        // buffer completely when it truncates, so a full buffer means "maybe cut" and is retried larger
        // (e.g. Hangul syllables decompose into up to three jamo tokens).
        var capacity = checked(text.Length + SpecialTokenCount);
        while (true)
        {
            var ids = ArrayPool<long>.Shared.Rent(capacity);
            var mask = ArrayPool<long>.Shared.Rent(capacity);
            try
            {
                int produced;
                lock (_gate)
                {
                    produced = _tokenizer.Encode(text, ids.AsSpan(0, capacity), mask.AsSpan(0, capacity), null);
                }

                if (produced < capacity)
                {
                    return produced - SpecialTokenCount;
                }
            }
            finally
            {
                ArrayPool<long>.Shared.Return(ids);
                ArrayPool<long>.Shared.Return(mask);
            }

            capacity = checked(capacity * 2);
        }
    }

    /// <summary>
    /// Splits <paramref name="text"/> into consecutive ranges of at most <paramref name="maxTokens"/> tokens each
    /// (as counted by <see cref="CountTokens(string)"/>), cutting only at whitespace unless a single word is longer
    /// than the limit (a single character that alone exceeds the limit still forms its own range). Whitespace between ranges belongs to no range; whitespace-only text yields no ranges.
    /// </summary>
    /// <param name="text">The text to split.</param>
    /// <param name="maxTokens">The most tokens per range, at least 1; typically <see cref="MaxContentTokens"/>.</param>
    /// <returns>The ranges in text order.</returns>
    public IReadOnlyList<TokenSpan> SplitByTokenCount(string text, int maxTokens)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, 1);

        var result = new List<TokenSpan>();
        var pieceStart = -1;
        var pieceEnd = -1;
        var pieceTokens = 0;

        void Flush()
        {
            if (pieceStart >= 0)
            {
                EmitVerified(text, pieceStart, pieceEnd, maxTokens, result);
                pieceStart = -1;
                pieceTokens = 0;
            }
        }

        var position = 0;
        while (position < text.Length)
        {
            while (position < text.Length && char.IsWhiteSpace(text[position]))
            {
                position++;
            }

            if (position == text.Length)
            {
                break;
            }

            var wordStart = position;
            while (position < text.Length && !char.IsWhiteSpace(text[position]))
            {
                position++;
            }

            var wordTokens = CountTokens(text[wordStart..position]);
            if (wordTokens == 0)
            {
                // Characters the tokenizer drops entirely (e.g. zero-width or control characters) add nothing,
                // but keep them inside the current range so no text is silently lost between ranges.
                if (pieceStart >= 0)
                {
                    pieceEnd = position;
                }

                continue;
            }

            if (wordTokens > maxTokens)
            {
                Flush();
                SplitLongWord(text, wordStart, position, maxTokens, result);
                continue;
            }

            if (pieceStart >= 0 && pieceTokens + wordTokens > maxTokens)
            {
                Flush();
            }

            if (pieceStart < 0)
            {
                pieceStart = wordStart;
            }

            pieceEnd = position;
            pieceTokens += wordTokens;
        }

        Flush();
        return result;
    }

    /// <summary>
    /// Encodes <paramref name="text"/> into <paramref name="inputIds"/> and <paramref name="attentionMask"/>, cut at
    /// <see cref="MaxSequenceLength"/> tokens, and returns the number of tokens written (including special tokens).
    /// </summary>
    internal int Encode(string text, Span<long> inputIds, Span<long> attentionMask)
    {
        var length = Math.Min(MaxSequenceLength, inputIds.Length);

        // The span overload is used because the string overload stops honouring its length limit after a
        // longer input has been encoded on the same instance.
        var folded = UnicodeFolding.Fold(text);
        lock (_gate)
        {
            return _tokenizer.Encode(folded, inputIds[..length], attentionMask[..length], null);
        }
    }

    private static void ValidateMaxSequenceLength(int maxSequenceLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSequenceLength, SpecialTokenCount + 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxSequenceLength, ModelMaxSequenceLength);
    }

    // Word-wise counts are summed on the assumption that tokens never cross whitespace; the tokenizer's own
    // idea of whitespace can differ from char.IsWhiteSpace for exotic characters, so the sum is re-checked
    // and the range shortened word by word when it is wrong.
    private void EmitVerified(string text, int start, int end, int maxTokens, List<TokenSpan> result)
    {
        var cut = end;
        var actual = CountTokens(text[start..cut]);
        while (actual > maxTokens)
        {
            var wordBreak = cut - 1;
            while (wordBreak > start && !char.IsWhiteSpace(text[wordBreak]))
            {
                wordBreak--;
            }

            if (wordBreak <= start)
            {
                SplitLongWord(text, start, end, maxTokens, result);
                return;
            }

            cut = TrimEndWhitespace(text, start, wordBreak);
            actual = CountTokens(text[start..cut]);
        }

        result.Add(new TokenSpan(start, cut - start, actual));
        var rest = SkipWhitespace(text, cut, end);
        if (rest < end)
        {
            EmitVerified(text, rest, end, maxTokens, result);
        }
    }

    // A single "word" (a URL, a base64 blob, CJK text without spaces) longer than the limit is cut at the longest
    // prefix that still fits, found by binary search on its length.
    private void SplitLongWord(string text, int start, int end, int maxTokens, List<TokenSpan> result)
    {
        while (start < end)
        {
            var remaining = CountTokens(text[start..end]);
            if (remaining <= maxTokens)
            {
                if (remaining > 0)
                {
                    result.Add(new TokenSpan(start, end - start, remaining));
                }

                return;
            }

            int low = start + 1, high = end - 1, best = start + 1;
            while (low <= high)
            {
                var mid = low + ((high - low) / 2);
                if (CountTokens(text[start..mid]) <= maxTokens)
                {
                    best = mid;
                    low = mid + 1;
                }
                else
                {
                    high = mid - 1;
                }
            }

            // Never cut a surrogate pair in half.
            if (best < end && char.IsLowSurrogate(text[best]) && best - 1 > start)
            {
                best--;
            }

            result.Add(new TokenSpan(start, best - start, CountTokens(text[start..best])));
            start = SkipWhitespace(text, best, end);
        }
    }

    private static int TrimEndWhitespace(string text, int start, int end)
    {
        while (end > start && char.IsWhiteSpace(text[end - 1]))
        {
            end--;
        }

        return end;
    }

    private static int SkipWhitespace(string text, int start, int end)
    {
        while (start < end && char.IsWhiteSpace(text[start]))
        {
            start++;
        }

        return start;
    }
}
