using TenantRag.Rag.Generation;

namespace TenantRag.Rag.Tests.Search;

public sealed class SentenceSplitterTests
{
    [Fact]
    public void Split_Prose_SplitsAtSentenceEnds()
    {
        var sentences = SentenceSplitter.Split("Cells divide. Do they? Yes!  Often (daily).\nA new line starts here");

        Assert.Equal(["Cells divide.", "Do they?", "Yes!", "Often (daily).", "A new line starts here"], sentences);
    }

    [Fact]
    public void Split_AbbreviationsInitialsAndDecimals_DoNotEndSentences()
    {
        var sentences = SentenceSplitter.Split("Smith et al. found a 2.5 fold rise, e.g. in mice. J. Doe disagreed (Fig. 3). The end.");

        Assert.Equal(["Smith et al. found a 2.5 fold rise, e.g. in mice.", "J. Doe disagreed (Fig. 3).", "The end."], sentences);
    }

    [Fact]
    public void Split_LowercaseAfterPeriod_DoesNotSplit()
    {
        Assert.Equal(["Values near pH 7. were stable."], SentenceSplitter.Split("Values near pH 7. were stable."));
    }

    [Fact]
    public void Split_Whitespace_IsCollapsedAndEmptyPiecesDropped()
    {
        Assert.Equal(["One two.", "Three."], SentenceSplitter.Split("  One \t two.\n\n   Three.  "));
    }

    [Fact]
    public void Split_CodeInBackticks_StaysWholeInItsSentence()
    {
        var sentences = SentenceSplitter.Split("The run ends with `test result: ok. 1 passed; 0 failed`. Nothing else is printed. Add ``` [dependencies] # Pinned. Do not bump. serde = \"1\" ``` to it.");

        Assert.Equal(
            ["The run ends with `test result: ok. 1 passed; 0 failed`.", "Nothing else is printed.", "Add ``` [dependencies] # Pinned. Do not bump. serde = \"1\" ``` to it."],
            sentences);
    }

    [Fact]
    public void Split_BacktickThatNeverCloses_IsPlainText()
    {
        Assert.Equal(["It costs 5` at most.", "Then it stops."], SentenceSplitter.Split("It costs 5` at most. Then it stops."));
    }
}
