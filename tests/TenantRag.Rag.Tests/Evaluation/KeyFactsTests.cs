using TenantRag.Rag.Evaluation;

namespace TenantRag.Rag.Tests.Evaluation;

public sealed class KeyFactsTests
{
    [Theory]
    [InlineData("You can also run a specific test by passing a filter: cargo test foo [1]")]
    [InlineData("Run CARGO TEST FOO to filter. [1]")]
    [InlineData("Pass a filter:\n$ cargo   test\tfoo\n[1]")]
    [InlineData("cargo test\u00A0foo [2]")]
    public void FindIn_AnswerStatingTheFactAnyCaseOrSpacing_FindsIt(string answer)
    {
        Assert.Equal("cargo test foo", KeyFacts.FindIn(answer, ["cargo test foo"]));
    }

    [Theory]
    [InlineData("Cargo can run your tests with the cargo test command. [1]")]
    [InlineData("cargo test fo o [1]")]
    [InlineData("cargo testfoo [1]")]
    [InlineData("")]
    public void FindIn_AnswerNotStatingTheFact_FindsNothing(string answer)
    {
        Assert.Null(KeyFacts.FindIn(answer, ["cargo test foo"]));
    }

    [Fact]
    public void FindIn_SeveralPhrasings_ReturnsTheFirstTheAnswerStates()
    {
        var found = KeyFacts.FindIn("Put them in tests/common/mod.rs. [1]", ["tests directory", "  tests/common/MOD.rs ", "mod.rs"]);

        Assert.Equal("  tests/common/MOD.rs ", found);
    }

    [Fact]
    public void FindIn_BlankPhrasing_NeverMatches()
    {
        Assert.Null(KeyFacts.FindIn("any answer at all [1]", [" ", string.Empty]));
    }

    [Fact]
    public void Normalise_LowersCaseAndCollapsesAndTrimsWhitespace()
    {
        Assert.Equal("debug = \"line-tables-only\"", KeyFacts.Normalise("  DEBUG =\r\n \"Line-Tables-Only\"\t"));
    }
}
