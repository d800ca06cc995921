using TenantRag.Rag.Embeddings;

namespace TenantRag.Rag.Tests.Embeddings;

public sealed class MiniLmTokenizerTests
{
    private static readonly Lazy<MiniLmTokenizer> Shared = new(() => MiniLmTokenizer.LoadBundled());

    private static MiniLmTokenizer Tokenizer => Shared.Value;

    [Theory]
    [InlineData("", 0)]
    [InlineData("hello world", 2)]
    [InlineData("Hello World", 2)]
    [InlineData("HELLO, WORLD!", 4)]
    [InlineData("supercalifragilisticexpialidocious", 11)]
    [InlineData("한국어", 8)]
    public void Counts_tokens_without_special_tokens(string text, int expected)
    {
        Assert.Equal(expected, Tokenizer.CountTokens(text));
    }

    [Fact]
    public void Counting_is_not_cut_at_the_model_limit()
    {
        var text = string.Join(' ', Enumerable.Repeat("word", 2000));

        Assert.Equal(2000, Tokenizer.CountTokens(text));
    }

    [Fact]
    public void Counting_handles_text_with_more_tokens_than_characters()
    {
        // Each Hangul syllable decomposes into up to three jamo tokens, so the first guess at a buffer is too small.
        var text = string.Concat(Enumerable.Repeat("한국어", 50));

        Assert.Equal(400, Tokenizer.CountTokens(text));
    }

    [Theory]
    [InlineData("Crème brûlée", "creme brulee", 5)]
    [InlineData("Zürich Österreich", "zurich osterreich", 5)]
    [InlineData("RÉSUMÉS", "resumes", 2)]
    public void Accents_and_case_are_folded_even_with_invariant_globalization(string accented, string plain, int expected)
    {
        // The test host runs with InvariantGlobalization like the application, where string.Normalize does nothing;
        // without the built-in folding table each accented word would be a single unknown token.
        Assert.Equal(expected, Tokenizer.CountTokens(plain));
        Assert.Equal(expected, Tokenizer.CountTokens(accented));
    }

    [Fact]
    public void Model_limits_are_exposed()
    {
        Assert.Equal(512, Tokenizer.MaxSequenceLength);
        Assert.Equal(510, Tokenizer.MaxContentTokens);
        Assert.IsAssignableFrom<ITokenCounter>(Tokenizer);
    }

    [Fact]
    public void Max_sequence_length_is_validated()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => MiniLmTokenizer.LoadBundled(maxSequenceLength: 513));
        Assert.Throws<ArgumentOutOfRangeException>(() => MiniLmTokenizer.LoadBundled(maxSequenceLength: 2));
    }

    [Fact]
    public void Missing_model_file_gives_a_clear_error()
    {
        var error = Assert.Throws<FileNotFoundException>(() => MiniLmTokenizer.LoadBundled("/nonexistent/model.bin"));

        Assert.Contains("/nonexistent/model.bin", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(3)] // a Hangul syllable alone is 3 tokens, so no lower limit can hold for this text
    [InlineData(7)]
    [InlineData(50)]
    [InlineData(510)]
    public void Split_ranges_fit_the_limit_and_cover_all_text(int maxTokens)
    {
        var text = BuildMixedText();

        var spans = Tokenizer.SplitByTokenCount(text, maxTokens);

        Assert.NotEmpty(spans);
        var previousEnd = 0;
        foreach (var span in spans)
        {
            Assert.True(span.Start >= previousEnd, "ranges overlap or go backwards");
            Assert.True(string.IsNullOrWhiteSpace(text[previousEnd..span.Start]), "text between ranges was dropped");
            var piece = span.Slice(text);
            Assert.Equal(Tokenizer.CountTokens(piece), span.TokenCount);
            Assert.True(span.TokenCount <= maxTokens, $"range of {span.TokenCount} tokens exceeds {maxTokens}");
            Assert.False(char.IsWhiteSpace(piece[0]) || char.IsWhiteSpace(piece[^1]), "range has surrounding whitespace");
            previousEnd = span.End;
        }

        Assert.True(string.IsNullOrWhiteSpace(text[previousEnd..]), "text after the last range was dropped");
        if (maxTokens >= 50)
        {
            // No word is longer than the limit, so no word is cut and the counts add up exactly.
            Assert.Equal(Tokenizer.CountTokens(text), spans.Sum(s => s.TokenCount));
        }
    }

    [Fact]
    public void Split_packs_words_greedily()
    {
        var spans = Tokenizer.SplitByTokenCount("one two three four five six seven", 3);

        Assert.Equal(["one two three", "four five six", "seven"], spans.Select(s => s.Slice("one two three four five six seven")));
    }

    [Fact]
    public void Split_cuts_a_word_longer_than_the_limit()
    {
        var blob = "start " + string.Concat(Enumerable.Repeat("abcdefghij", 100)) + " end";

        var spans = Tokenizer.SplitByTokenCount(blob, 20);

        Assert.All(spans, s => Assert.InRange(s.TokenCount, 1, 20));
        Assert.Equal(blob.Replace(" ", "", StringComparison.Ordinal), string.Concat(spans.Select(s => s.Slice(blob).Replace(" ", "", StringComparison.Ordinal))));
    }

    [Fact]
    public void Split_of_whitespace_gives_nothing()
    {
        Assert.Empty(Tokenizer.SplitByTokenCount("  \n\t  ", 10));
        Assert.Empty(Tokenizer.SplitByTokenCount("", 10));
    }

    [Fact]
    public void Concurrent_counting_is_consistent()
    {
        var texts = Enumerable.Range(0, 64).Select(i => string.Join(' ', Enumerable.Repeat($"token{i}", i + 1))).ToArray();
        var expected = texts.Select(Tokenizer.CountTokens).ToArray();

        var actual = new int[texts.Length];
        Parallel.For(0, texts.Length * 8, i => actual[i % texts.Length] = Tokenizer.CountTokens(texts[i % texts.Length]));

        Assert.Equal(expected, actual);
    }

    private static string BuildMixedText()
    {
        var random = new Random(42);
        string[] words = ["policy", "Invoice", "récapitulatif", "naïve", "x", "2024-01-31", "e-mail:", "(see", "above)", "ℝ", "東京", "한국어", "https://example.com/a/b?c=d"];
        var parts = new List<string>();
        for (var i = 0; i < 600; i++)
        {
            parts.Add(words[random.Next(words.Length)]);
            parts.Add(random.Next(10) == 0 ? "\n\n" : " ");
        }

        return string.Concat(parts);
    }
}
