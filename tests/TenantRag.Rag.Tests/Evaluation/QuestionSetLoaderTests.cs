using TenantRag.Rag.Evaluation;

namespace TenantRag.Rag.Tests.Evaluation;

public sealed class QuestionSetLoaderTests
{
    [Fact]
    public async Task LoadAsync_TestSplit_KeepsItsQuestionsWithKeysAndEveryPageButExcludedAndHidden()
    {
        using var files = new QuestionSetFiles();

        var data = await Load(files, BeirSplit.Test);

        Assert.Equal(["q2", "q3"], data.Queries.Select(q => q.Id));
        Assert.Equal(["guide/layout.html", "guide/tests.html", "index.html", "reference/features.html"], data.Corpus.Select(d => d.Id));
        Assert.Equal(Path.GetFullPath(files.Pages.Path), data.PagesDirectory);
        Assert.Equal(2, data.Qrels["q2"]["guide/layout.html"]);
        Assert.Equal(1, data.Qrels["q2"]["guide/tests.html"]);
        Assert.Equal(2, Assert.Single(data.Qrels["q3"]).Value);
        var key = data.AnswerKeys!["q2"];
        Assert.Equal("guide/layout.html", key.Page);
        Assert.Equal(["guide/tests.html"], key.AlsoPages);
        Assert.Empty(data.AnswerKeys["q3"].AlsoPages);
        Assert.Equal("Layout", key.Section);
        Assert.Equal(["the tests directory", "tests/"], key.KeyFacts);
        Assert.Equal(["q2", "q3"], data.AnswerKeys.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task LoadAsync_TrainSplit_KeepsOnlyTrainQuestions()
    {
        using var files = new QuestionSetFiles();

        var data = await Load(files, BeirSplit.Train);

        Assert.Equal("q1", Assert.Single(data.Queries).Id);
        Assert.Equal(BeirSplit.Train, data.Split);
    }

    [Fact]
    public void IsQuestionSet_TellsAQuestionSetFromABeirSet()
    {
        using var files = new QuestionSetFiles();
        using var beir = BeirFiles.Write();

        Assert.True(QuestionSetLoader.IsQuestionSet(files.Set.Path));
        Assert.False(QuestionSetLoader.IsQuestionSet(beir.Path));
    }

    [Fact]
    public async Task LoadAsync_NoPagesDirectoryGiven_IsUsageErrorAskingForPages()
    {
        using var files = new QuestionSetFiles();

        var ex = await Assert.ThrowsAsync<EvaluationDataException>(() =>
            QuestionSetLoader.LoadAsync(files.Set.Path, null, BeirSplit.Test, TestContext.Current.CancellationToken));

        Assert.Equal(2, ex.ExitCode);
        Assert.Contains("give --pages", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoadAsync_MissingPagesDirectory_NamesIt()
    {
        using var files = new QuestionSetFiles();
        var missing = Path.Combine(files.Pages.Path, "no-such-book");

        var ex = await Assert.ThrowsAsync<EvaluationDataException>(() =>
            QuestionSetLoader.LoadAsync(files.Set.Path, missing, BeirSplit.Test, TestContext.Current.CancellationToken));

        Assert.Contains($"--pages directory '{missing}' does not exist", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoadAsync_PagesDirectoryWithoutPages_SaysSo()
    {
        using var files = new QuestionSetFiles();
        var empty = Directory.CreateDirectory(Path.Combine(files.Pages.Path, "empty")).FullName;

        var ex = await Assert.ThrowsAsync<EvaluationDataException>(() =>
            QuestionSetLoader.LoadAsync(files.Set.Path, empty, BeirSplit.Test, TestContext.Current.CancellationToken));

        Assert.Contains("has no .html pages", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"_id": "x", "text": "?", "page": "index.html", }""", "invalid JSON")]
    [InlineData("""["not", "an", "object"]""", "expected a JSON object")]
    [InlineData("""{"text": "?", "page": "index.html", "section": "S", "keyFacts": ["a"], "split": "test"}""", "missing \"_id\"")]
    [InlineData("""{"_id": "x", "text": " ", "page": "index.html", "section": "S", "keyFacts": ["a"], "split": "test"}""", "question 'x' has an empty \"text\"")]
    [InlineData("""{"_id": "x", "text": "?", "section": "S", "keyFacts": ["a"], "split": "test"}""", "missing \"page\"")]
    [InlineData("""{"_id": "x", "text": "?", "page": "index.html", "keyFacts": ["a"], "split": "test"}""", "missing \"section\"")]
    [InlineData("""{"_id": "x", "text": "?", "page": "index.html", "section": "S", "split": "test"}""", "question 'x' needs \"keyFacts\"")]
    [InlineData("""{"_id": "x", "text": "?", "page": "index.html", "section": "S", "keyFacts": [], "split": "test"}""", "question 'x' needs \"keyFacts\"")]
    [InlineData("""{"_id": "x", "text": "?", "page": "index.html", "section": "S", "keyFacts": "a", "split": "test"}""", "question 'x' needs \"keyFacts\"")]
    [InlineData("""{"_id": "x", "text": "?", "page": "index.html", "section": "S", "keyFacts": ["a", " \t"], "split": "test"}""", "every key fact must be a non-blank string")]
    [InlineData("""{"_id": "x", "text": "?", "page": "index.html", "section": "S", "keyFacts": [3], "split": "test"}""", "every key fact must be a non-blank string")]
    [InlineData("""{"_id": "x", "text": "?", "page": "index.html", "section": "S", "keyFacts": ["a"], "split": "dev"}""", "split 'dev' is neither train nor test")]
    [InlineData("""{"_id": "x", "text": "?", "page": "index.html", "section": "S", "keyFacts": ["a"]}""", "missing \"split\"")]
    [InlineData("""{"_id": "x", "text": "?", "page": "guide/nope.html", "section": "S", "keyFacts": ["a"], "split": "test"}""", "page 'guide/nope.html' is not a page of the corpus")]
    [InlineData("""{"_id": "x", "text": "?", "page": "print.html", "section": "S", "keyFacts": ["a"], "split": "test"}""", "page 'print.html' is not a page of the corpus")]
    [InlineData("""{"_id": "x", "text": "?", "page": "../outside.html", "section": "S", "keyFacts": ["a"], "split": "test"}""", "is not a path below the pages directory")]
    [InlineData("""{"_id": "x", "text": "?", "page": "/etc/passwd", "section": "S", "keyFacts": ["a"], "split": "test"}""", "is not a path below the pages directory")]
    [InlineData("""{"_id": "q1", "text": "?", "page": "index.html", "section": "S", "keyFacts": ["a"], "split": "test"}""", "duplicate _id 'q1'")]
    [InlineData("""{"_id": "x", "text": "?", "page": "index.html", "alsoPages": "guide/tests.html", "section": "S", "keyFacts": ["a"], "split": "test"}""", "\"alsoPages\" must be an array of pages")]
    [InlineData("""{"_id": "x", "text": "?", "page": "index.html", "alsoPages": [1], "section": "S", "keyFacts": ["a"], "split": "test"}""", "\"alsoPages\" must be an array of pages")]
    [InlineData("""{"_id": "x", "text": "?", "page": "index.html", "alsoPages": ["guide/gone.html"], "section": "S", "keyFacts": ["a"], "split": "test"}""", "page 'guide/gone.html' is not a page of the corpus")]
    [InlineData("""{"_id": "x", "text": "?", "page": "index.html", "alsoPages": ["index.html"], "section": "S", "keyFacts": ["a"], "split": "test"}""", "names page 'index.html' twice")]
    public async Task LoadAsync_BadQuestionLine_IsUsageErrorNamingFileAndLine(string line, string expected)
    {
        using var files = new QuestionSetFiles(QuestionSetFiles.Questions + "\n" + line + "\n");

        var ex = await Assert.ThrowsAsync<EvaluationDataException>(() => Load(files, BeirSplit.Test));

        Assert.Equal(2, ex.ExitCode);
        Assert.StartsWith("questions.jsonl line 5: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoadAsync_NoQuestionOfTheSplit_SaysWhichSplit()
    {
        using var files = new QuestionSetFiles("""{"_id": "q1", "text": "?", "page": "index.html", "section": "S", "keyFacts": ["a"], "split": "train"}""");

        var ex = await Assert.ThrowsAsync<EvaluationDataException>(() => Load(files, BeirSplit.Test));

        Assert.Contains("has no questions of the test split", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Slice_KeepsTheAnswerKeysOfTheQuestionsKept()
    {
        using var files = new QuestionSetFiles();
        var data = await Load(files, BeirSplit.Test);

        var slice = data.Slice(1, 1, perTenant: false);

        Assert.Equal(["q2"], slice.AnswerKeys!.Keys);
        Assert.Equal(["guide/layout.html", "guide/tests.html", "index.html"], slice.Corpus.Select(d => d.Id));
        Assert.Equal(data.PagesDirectory, slice.PagesDirectory);
    }

    private static Task<BeirDataset> Load(QuestionSetFiles files, BeirSplit split) =>
        QuestionSetLoader.LoadAsync(files.Set.Path, files.Pages.Path, split, TestContext.Current.CancellationToken);
}
