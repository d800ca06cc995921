using System.Collections.Frozen;
using System.Globalization;

namespace TenantRag.Rag.Embeddings;

/// <summary>
/// Lowercases, strips accents and decomposes Hangul the way the uncased BERT tokenizer does (lowercase, NFD, drop
/// non-spacing marks), without relying on <see cref="string.Normalize(System.Text.NormalizationForm)"/>.
/// </summary>
/// <remarks>
/// The project runs with InvariantGlobalization, where string normalization is a no-op for non-ASCII text; the
/// tokenizer would then see "café" as an unknown word instead of "cafe". Folding first makes tokenization identical
/// in both modes. Characters outside the Basic Multilingual Plane are passed through unchanged.
/// </remarks>
internal static partial class UnicodeFolding
{
    private const int HangulSyllableBase = 0xAC00;
    private const int HangulSyllableCount = 11172;
    private const int HangulLeadBase = 0x1100;
    private const int HangulVowelBase = 0x1161;
    private const int HangulTrailBase = 0x11A7;
    private const int HangulVowelCount = 21;
    private const int HangulTrailCount = 28;

    private static readonly FrozenDictionary<char, string> Table = BuildTable();

    /// <summary>Returns <paramref name="text"/> folded; ASCII-only text is returned as is (the tokenizer lowercases it).</summary>
    internal static string Fold(string text)
    {
        var firstNonAscii = text.AsSpan().IndexOfAnyExceptInRange('\0', '\u007F');
        if (firstNonAscii < 0)
        {
            return text;
        }

        var builder = new System.Text.StringBuilder(text.Length + 16);
        builder.Append(text, 0, firstNonAscii);
        for (var i = firstNonAscii; i < text.Length; i++)
        {
            var c = text[i];
            if (c < '\u0080')
            {
                builder.Append(c);
            }
            else if (c is >= (char)HangulSyllableBase and < (char)(HangulSyllableBase + HangulSyllableCount))
            {
                AppendHangul(builder, c);
            }
            else if (Table.TryGetValue(c, out var folded))
            {
                builder.Append(folded);
            }
            else if (char.IsSurrogate(c) || CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark)
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    private static void AppendHangul(System.Text.StringBuilder builder, char syllable)
    {
        var index = syllable - HangulSyllableBase;
        var trail = index % HangulTrailCount;
        builder.Append((char)(HangulLeadBase + (index / (HangulVowelCount * HangulTrailCount))));
        builder.Append((char)(HangulVowelBase + (index % (HangulVowelCount * HangulTrailCount) / HangulTrailCount)));
        if (trail != 0)
        {
            builder.Append((char)(HangulTrailBase + trail));
        }
    }

    private static FrozenDictionary<char, string> BuildTable()
    {
        var map = new Dictionary<char, string>(TableKeys.Length);
        for (var i = 0; i < TableKeys.Length; i++)
        {
            map[TableKeys[i]] = TableValues.Substring(i * 2, 2).TrimEnd('\0');
        }

        return map.ToFrozenDictionary();
    }
}
