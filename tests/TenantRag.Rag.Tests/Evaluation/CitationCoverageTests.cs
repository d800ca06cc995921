using TenantRag.Rag.Evaluation;

namespace TenantRag.Rag.Tests.Evaluation;

public sealed class CitationCoverageTests
{
    [Theory]
    [InlineData("Cargo can run your tests. [1]")]
    [InlineData("Cargo can run your tests. [1] You can run a specific test by passing a filter: cargo test foo [2]")]
    [InlineData("Cargo can run your tests [1][2]. It also runs doc tests. [1] [3]")]
    [InlineData("Pass a filter:\n$ cargo test foo\nThis runs any test with foo in its name. [1]")]
    public void EverySentenceCited_EachSentenceFollowedByAMarker_IsTrue(string answer)
    {
        Assert.True(CitationCoverage.EverySentenceCited(answer));
    }

    [Theory]
    [InlineData("Cargo can run your tests. [1] It also runs doc tests.")]
    [InlineData("Cargo can run your tests. It also runs doc tests. [1]")]
    [InlineData("Cargo can run your tests.")]
    [InlineData("[1] Cargo can run your tests.")]
    [InlineData("")]
    public void EverySentenceCited_ASentenceWithoutMarker_IsFalse(string answer)
    {
        Assert.False(CitationCoverage.EverySentenceCited(answer));
    }

    [Fact]
    public void EverySentenceCited_PunctuationAfterTheLastMarker_IsStillCited()
    {
        Assert.True(CitationCoverage.EverySentenceCited("Use cargo test foo [1]."));
    }
}
