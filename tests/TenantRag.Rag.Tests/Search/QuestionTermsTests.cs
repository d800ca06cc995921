using TenantRag.Rag.Generation;

namespace TenantRag.Rag.Tests.Search;

public sealed class QuestionTermsTests
{
    [Fact]
    public void Of_Question_DropsStopWordsAndStemsEndings()
    {
        var terms = QuestionTerms.Of("What reduces the risks of diseases in studies?");

        Assert.Equal(new HashSet<string> { "reduc", "risk", "diseas", "study" }, terms);
    }

    [Fact]
    public void Of_InflectedForms_ShareOneStem()
    {
        Assert.Single(QuestionTerms.Of("reduce reduces reduced reducing"));
    }

    [Fact]
    public void Overlap_ShareOfQuestionTermsInSentence()
    {
        var question = QuestionTerms.Of("aspirin heart attack risk");

        Assert.Equal(0.5f, QuestionTerms.Overlap(question, QuestionTerms.Of("Aspirin lowers the risk.")));
        Assert.Equal(0f, QuestionTerms.Overlap(QuestionTerms.Of("the of"), QuestionTerms.Of("anything")));
    }

    [Theory]
    [InlineData("How do I run only one test?", true)]
    [InlineData("where do I put integration tests?", true)]
    [InlineData("I want to make a library rather than a program, what do I pass to cargo new?", true)]
    [InlineData("What is a workspace?", false)]
    [InlineData("Why does cargo rebuild everything?", false)]
    [InlineData("0-dimensional biomaterials show inductive properties.", false)]
    public void AsksHowTo_InstructionQuestionsOnly(string question, bool howTo)
    {
        Assert.Equal(howTo, QuestionTerms.AsksHowTo(question));
    }
}
