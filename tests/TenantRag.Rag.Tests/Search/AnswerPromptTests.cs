using Microsoft.Extensions.AI;
using TenantRag.Rag.Generation;

namespace TenantRag.Rag.Tests.Search;

public sealed class AnswerPromptTests
{
    [Theory]
    [InlineData("No citations here.", new int[0])]
    [InlineData("A [2]. B [1][3]. C [2].", new[] { 2, 1, 3 })]
    [InlineData("Both [1, 4] and [x] and [ 5 ]", new[] { 1, 4 })]
    public void CitedNumbers_Text_ReturnsDistinctNumbersInOrder(string text, int[] expected)
    {
        Assert.Equal(expected, AnswerPrompt.CitedNumbers(text));
    }

    [Fact]
    public void Build_QuestionAndContext_SystemInstructionThenSourcesAndQuestion()
    {
        var context = new PackedContext { Text = "[1] Title (part 1)\nBody\n\n", Sources = [], Tokens = 5 };

        var messages = AnswerPrompt.Build("Why?", context);

        Assert.Equal([ChatRole.System, ChatRole.User], messages.Select(m => m.Role));
        Assert.Contains("[1]", messages[0].Text, StringComparison.Ordinal);
        Assert.Equal("Sources:\n\n[1] Title (part 1)\nBody\n\nQuestion: Why?", messages[1].Text);
    }
}
