namespace TenantRag.Rag.Embeddings;

/// <summary>
/// A contiguous range of characters of some text, with the number of model tokens it holds.
/// Produced by <see cref="MiniLmTokenizer.SplitByTokenCount(string, int)"/>.
/// </summary>
/// <param name="Start">Index of the first character of the range in the original text.</param>
/// <param name="Length">Number of characters in the range.</param>
/// <param name="TokenCount">
/// Number of model tokens in the range, excluding special tokens; see <see cref="ITokenCounter.CountTokens(string)"/>.
/// </param>
public readonly record struct TokenSpan(int Start, int Length, int TokenCount)
{
    /// <summary>Gets the index just past the last character of the range.</summary>
    public int End => Start + Length;

    /// <summary>Returns the characters of <paramref name="text"/> covered by this range.</summary>
    /// <param name="text">The text this range was computed for.</param>
    /// <returns>The substring.</returns>
    public string Slice(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Substring(Start, Length);
    }
}
