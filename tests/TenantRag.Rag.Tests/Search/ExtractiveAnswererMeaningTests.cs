using System.Text.RegularExpressions;
using TenantRag.Rag.Generation;
using TenantRag.Rag.Tests.Embeddings;

namespace TenantRag.Rag.Tests.Search;

/// <summary>Extractive answers scored by the real bundled model, over passages shaped as a technical manual's are extracted.</summary>
public sealed partial class ExtractiveAnswererMeaningTests(MiniLmEmbeddingGeneratorFixture model) : IClassFixture<MiniLmEmbeddingGeneratorFixture>
{
    // As the HTML extractor hands over a tutorial's section: paragraphs a blank line apart, the <pre> block kept as it is.
    private const string SubsetOfTests =
        "Sometimes, running a full test suite can take a long time. If you're working on code in a particular area, you " +
        "might want to run only the tests pertaining to that code. There is a way to run multiple tests.\n\n" +
        "We can pass the name of any test function to cargo test to run only that test:\n\n" +
        "$ cargo test one_hundred\n   Compiling adder v0.1.0 (file:///projects/adder)\n     Running unittests src/lib.rs\n\n" +
        "Only the test with the name one_hundred ran; the other two tests didn't match that name.";

    // A command reference: each option on a line of its own (a <dt>), its description in the next paragraph (a <dd>).
    private const string TestOptions =
        "--no-run\n\nCompile, but don't run tests.\n\n--no-fail-fast\n\nRun all tests regardless of failure. Without this flag, " +
        "Cargo will exit after the first executable fails.";

    private const string DependencyFeatures =
        "Features of dependencies can be enabled within the dependency declaration. The features key indicates which features to enable:\n\n" +
        "[dependencies]\n# Enables the `derive` feature of serde.\nserde = { version = \"1.0.118\", features = [\"derive\"] }\n\n" +
        "The default features can be disabled using default-features = false.";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AnswerAsync_HowToQuestion_QuotesTheInstructionAndItsCommandNotASentenceThatOnlySharesItsWords()
    {
        var answerer = new ExtractiveAnswerer(model.Generator, new AnswerOptions { MaxSentences = 1 });

        var answer = await answerer.AnswerAsync("How do I run only one test?", [Hits.Of(1, "Controlling How Tests Are Run", SubsetOfTests)], Ct);

        Assert.Equal(AnswerMode.Extractive, answer.Mode);
        Assert.StartsWith("We can pass the name of any test function to cargo test to run only that test:", answer.Text, StringComparison.Ordinal);
        Assert.Contains("$ cargo test one_hundred", answer.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("There is a way", answer.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnswerAsync_OptionListedBeforeItsDescription_IsQuotedInFrontOfIt()
    {
        var answerer = new ExtractiveAnswerer(model.Generator, new AnswerOptions { MaxSentences = 1 });

        var answer = await answerer.AnswerAsync("How do I compile the tests without running them?", [Hits.Of(1, "cargo test", TestOptions)], Ct);

        Assert.Equal("`--no-run`: Compile, but don't run tests. [1]", answer.Text);
    }

    [Fact]
    public async Task AnswerAsync_SentenceEndingInAColon_QuotesTheConfigurationItIntroducesWhole()
    {
        var answerer = new ExtractiveAnswerer(model.Generator, new AnswerOptions { MaxSentences = 2 });

        var answer = await answerer.AnswerAsync("How do I turn on a feature of a dependency?", [Hits.Of(1, "Features", DependencyFeatures)], Ct);

        Assert.EndsWith(
            "\nThe features key indicates which features to enable:\n```\n[dependencies]\n# Enables the `derive` feature of serde.\n" +
            "serde = { version = \"1.0.118\", features = [\"derive\"] }\n``` [1]",
            answer.Text,
            StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("How do I bake sourdough bread?")]
    [InlineData("How do I configure a Kubernetes ingress controller?")]
    [InlineData("What is the capital of Australia?")]
    public async Task AnswerAsync_QuestionThePassagesDoNotAnswer_SaysNotFoundInsteadOfQuotingThem(string question)
    {
        var answerer = new ExtractiveAnswerer(model.Generator);
        var hits = new[] { Hits.Of(1, "Tests", SubsetOfTests), Hits.Of(2, "cargo test", TestOptions), Hits.Of(3, "Features", DependencyFeatures) };

        var answer = await answerer.AnswerAsync(question, hits, Ct);
        var answerable = await answerer.AnswerAsync("How do I run only one test?", hits, Ct);

        Assert.False(answer.IsAnswered, answer.Text);
        Assert.Empty(answer.Citations);
        Assert.Contains("supports the question well enough", answer.NoAnswerReason, StringComparison.Ordinal);
        Assert.True(answerable.IsAnswered);
    }

    [Theory]
    [InlineData("How do I run only one test?")]
    [InlineData("How do I compile the tests without running them?")]
    [InlineData("How do I turn on a feature of a dependency?")]
    public async Task AnswerAsync_AnyAnswer_CitesEverySentenceItQuotesWithASourceItLists(string question)
    {
        var answerer = new ExtractiveAnswerer(model.Generator, new AnswerOptions { MaxSentences = 5 });
        var hits = new[] { Hits.Of(1, "Tests", SubsetOfTests), Hits.Of(2, "cargo test", TestOptions), Hits.Of(3, "Features", DependencyFeatures) };

        var answer = await answerer.AnswerAsync(question, hits, Ct);

        // Between markers stands exactly one sentence (a code block read on one line), and nothing follows the last marker.
        var pieces = Markers().Split(answer.Text);
        Assert.True(pieces.Length >= 2, answer.Text);
        Assert.Equal(string.Empty, pieces[^1].Trim());
        Assert.All(pieces[..^1], piece => Assert.Single(SentenceSplitter.Split(piece.ReplaceLineEndings(" "))));
        var cited = Regex.Matches(answer.Text, @"\[(\d+)\]").Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(answer.Citations.Select(c => c.Number), cited.Distinct().Order());
        Assert.All(answer.Citations, c => Assert.Contains(hits, h => h.Chunk.Id == c.ChunkId && h.Chunk.Content == c.Passage));
    }

    [GeneratedRegex(@"\s*\[\d+\]")]
    private static partial Regex Markers();
}
