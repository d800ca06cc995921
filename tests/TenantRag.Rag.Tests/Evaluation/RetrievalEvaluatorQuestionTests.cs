using System.Text.Json;
using TenantRag.Rag.Evaluation;

namespace TenantRag.Rag.Tests.Evaluation;

/// <summary>The evaluator on a question set: where each page ranks and what each answer states.</summary>
public sealed class RetrievalEvaluatorQuestionTests
{
    private const string Q2 = "Where do integration tests go?";
    private const string Q3 = "How do I make a dependency optional?";

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    private readonly InMemoryTenantCatalog _catalog = new();
    private readonly RecordingIngestor _ingestor = new();
    private readonly HashEmbeddingGenerator _embeddings = new();

    [Fact]
    public async Task RunAsync_QuestionSet_ScoresPageRankKeyFactCitationsAndNotFound()
    {
        using var files = new QuestionSetFiles();
        var data = await QuestionSetLoader.LoadAsync(files.Set.Path, files.Pages.Path, BeirSplit.Test, TestContext.Current.CancellationToken);
        var retriever = new ScriptedRetriever(new()
        {
            [Q2] = ["index.html", "guide/layout.html", "guide/tests.html"],
            [Q3] = ["index.html", "guide/tests.html", "guide/layout.html", "reference/features.html"],
        });
        // q2's answer states a phrasing of its fact in another case, with its sentence cited; q3 gets "not found".
        var answerer = new ScriptedAnswerer(new() { [Q2] = "Integration tests go in THE TESTS\ndirectory. [1]" });

        var report = await new RetrievalEvaluator(_catalog, _ingestor, retriever, _embeddings, answerer)
            .RunAsync(data, new EvaluationOptions { TenantPrefix = "cargo-book" }, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(0.5, report.Top3);
        Assert.Equal(0.5, report.KeyFact);
        Assert.Equal(1.0, report.EverySentenceCited);
        Assert.Equal(1, report.NotFound);
        Assert.NotNull(report.AnswerLatencyMs);
        var questions = report.Questions!;
        Assert.Equal(["q2", "q3"], questions.Select(q => q.Id));
        Assert.Equal(2, questions[0].Rank);
        Assert.Equal("guide/layout.html", questions[0].FoundPage);
        Assert.True(questions[0].KeyFactFound);
        Assert.Equal(["Tests"], questions[0].Citations!);
        Assert.Equal(4, questions[1].Rank);
        Assert.False(questions[1].Top3);
        Assert.False(questions[1].Answered);
        Assert.False(questions[1].KeyFactFound);
        Assert.Equal("nothing relevant", questions[1].NoAnswerReason);
        Assert.Equal(["index.html", "guide/tests.html", "guide/layout.html", "reference/features.html"], questions[1].Ranking);
        // Each tenant is warmed once, untimed, then every question is asked once.
        Assert.Equal(3, answerer.Asked.Count);
        Assert.Equal(["guide/layout.html", "guide/tests.html", "index.html", "reference/features.html"], _ingestor.Offered["cargo-book"]);
    }

    [Fact]
    public async Task RunAsync_AnotherPageThatAnswers_CountsAsFoundButScoresBelowThePage()
    {
        using var files = new QuestionSetFiles();
        var data = await QuestionSetLoader.LoadAsync(files.Set.Path, files.Pages.Path, BeirSplit.Test, TestContext.Current.CancellationToken);
        // q2's page is guide/layout.html; guide/tests.html answers it as well.
        var retriever = new ScriptedRetriever(new() { [Q2] = ["index.html", "guide/tests.html", "guide/layout.html"], [Q3] = ["index.html"] });

        var report = await new RetrievalEvaluator(_catalog, _ingestor, retriever, _embeddings)
            .RunAsync(data, new EvaluationOptions { TenantPrefix = "cargo-book", MeasureEmbedding = false }, cancellationToken: TestContext.Current.CancellationToken);

        var q2 = report.Questions![0];
        Assert.Equal(2, q2.Rank);
        Assert.Equal("guide/tests.html", q2.FoundPage);
        Assert.True(q2.Top3);
        Assert.Equal(["guide/tests.html"], q2.AlsoPages);
        var ndcg = report.PerQuery.Single(q => q.QueryId == "q2").NdcgAt10;
        var ideal = 2 + (1 / Math.Log2(3));
        Assert.Equal(((1 / Math.Log2(3)) + (2 / Math.Log2(4))) / ideal, ndcg, 6);
    }

    [Fact]
    public async Task RunAsync_AnswerMissingTheFact_IsNotCountedAndAnUncitedSentenceIsSeen()
    {
        using var files = new QuestionSetFiles();
        var data = await QuestionSetLoader.LoadAsync(files.Set.Path, files.Pages.Path, BeirSplit.Test, TestContext.Current.CancellationToken);
        var retriever = new ScriptedRetriever(new() { [Q2] = ["guide/layout.html"], [Q3] = ["reference/features.html"] });
        var answerer = new ScriptedAnswerer(new()
        {
            [Q2] = "Tests are run with the cargo test command. [1]",
            [Q3] = "Use optional = true. It is a feature. [1]",
        });

        var report = await new RetrievalEvaluator(_catalog, _ingestor, retriever, _embeddings, answerer)
            .RunAsync(data, new EvaluationOptions { TenantPrefix = "cargo-book" }, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(1.0, report.Top3);
        Assert.Equal(0.5, report.KeyFact);
        Assert.Equal(0.5, report.EverySentenceCited);
        Assert.Equal(0, report.NotFound);
        Assert.False(report.Questions![0].KeyFactFound);
        Assert.True(report.Questions[1].KeyFactFound);
        Assert.False(report.Questions[1].EverySentenceCited);
    }

    [Fact]
    public async Task RunAsync_QuestionSetWithoutAnswerer_ReportsPagesButNoAnswerFigures()
    {
        using var files = new QuestionSetFiles();
        var data = await QuestionSetLoader.LoadAsync(files.Set.Path, files.Pages.Path, BeirSplit.Test, TestContext.Current.CancellationToken);
        var retriever = new ScriptedRetriever(new() { [Q2] = ["guide/layout.html"] });

        var report = await new RetrievalEvaluator(_catalog, _ingestor, retriever, _embeddings)
            .RunAsync(data, new EvaluationOptions { TenantPrefix = "cargo-book", MeasureEmbedding = false }, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(0.5, report.Top3);
        Assert.Null(report.KeyFact);
        Assert.Null(report.NotFound);
        Assert.Null(report.Questions![0].Answered);
        Assert.Equal(0, report.EmbeddingSample);
        Assert.Equal(0, _embeddings.Calls);
        var json = JsonSerializer.Serialize(report, Json);
        Assert.Contains("\"top3\":0.5", json, StringComparison.Ordinal);
        Assert.DoesNotContain("\"keyFact\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_RetrievalOnlySet_HasNoQuestionFiguresInItsJson()
    {
        using var dir = BeirFiles.Write();
        var data = await BeirDatasetLoader.LoadAsync(dir.Path, BeirSplit.Test, withTenants: false, TestContext.Current.CancellationToken);
        var answerer = new ScriptedAnswerer([]);

        var report = await new RetrievalEvaluator(_catalog, _ingestor, new ScriptedRetriever([]), _embeddings, answerer)
            .RunAsync(data, new EvaluationOptions(), cancellationToken: TestContext.Current.CancellationToken);

        Assert.Null(report.Top3);
        Assert.Null(report.Questions);
        Assert.Empty(answerer.Asked);
        var json = JsonSerializer.Serialize(report, Json);
        foreach (var absent in (string[])["top3", "keyFact", "everySentenceCited", "notFound", "answerLatencyMs", "questions", "documentsRefused"])
        {
            Assert.DoesNotContain($"\"{absent}\"", json, StringComparison.Ordinal);
        }
    }
}
