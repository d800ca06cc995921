using System.Text.RegularExpressions;
using TenantRag.Rag.Embeddings;

namespace TenantRag.Rag.Tests.Ingestion;

/// <summary>
/// A deterministic stand-in for the WordPiece tokenizer: every run of letters/digits is one token and every
/// punctuation character is one token. It also records how many characters it was asked to count, so tests can
/// check that the chunker does not re-count text quadratically.
/// </summary>
internal sealed partial class WordPunctuationTokenCounter : ITokenCounter
{
    public long CountedCharacters { get; private set; }

    public int Calls { get; private set; }

    public int CountTokens(string text)
    {
        CountedCharacters += text.Length;
        Calls++;
        return Token().Count(text);
    }

    [GeneratedRegex(@"[\p{L}\p{N}]+|[^\p{L}\p{N}\s]")]
    private static partial Regex Token();
}
