using TenantRag.Rag.Retrieval.Search;

namespace TenantRag.Rag.Tests.Search;

public sealed class SearchLimitsTests
{
    [Theory]
    [InlineData(null, "empty")]
    [InlineData("   ", "empty")]
    [InlineData("bell\u0007", "U+0007")]
    [InlineData("nul\0here", "U+0000")]
    public void ValidateQuery_BadQuery_ThrowsUsageExceptionSayingWhy(string? query, string reason)
    {
        var error = Assert.Throws<UsageException>(() => SearchLimits.ValidateQuery(query));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.Equal(2, error.ExitCode);
    }

    [Fact]
    public void ValidateQuery_TooLong_NamesTheLimit()
    {
        var error = Assert.Throws<UsageException>(() => SearchLimits.ValidateQuery(new string('a', SearchLimits.MaxQueryLength + 1), "question"));

        Assert.Contains("question is 2001 characters long", error.Message, StringComparison.Ordinal);
        Assert.Contains("2000", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ValidateQuery_LineBreaksAndTabs_AreAcceptedAndTrimmed()
    {
        Assert.Equal("why\tis\r\nthe sky blue?", SearchLimits.ValidateQuery("  why\tis\r\nthe sky blue?\n"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(101)]
    [InlineData(-3)]
    public void ValidateCount_OutOfRange_ThrowsUsageException(int k)
    {
        var error = Assert.Throws<UsageException>(() => SearchLimits.ValidateCount(k));

        Assert.Contains("between 1 and 100", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Hybrid", RetrieverKind.Hybrid)]
    [InlineData(" vector ", RetrieverKind.Vector)]
    [InlineData("lexical", RetrieverKind.Lexical)]
    public void Parse_KnownRetriever_ReturnsIt(string text, RetrieverKind expected)
    {
        Assert.Equal(expected, RetrieverKinds.Parse(text));
        Assert.Equal(expected, RetrieverKinds.Parse(expected.ToName()));
    }

    [Fact]
    public void Parse_UnknownRetriever_ThrowsUsageException()
    {
        Assert.Throws<UsageException>(() => RetrieverKinds.Parse("bm25"));
    }
}
