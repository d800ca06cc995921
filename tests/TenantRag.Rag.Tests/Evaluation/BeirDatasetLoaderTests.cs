using TenantRag.Rag.Evaluation;

namespace TenantRag.Rag.Tests.Evaluation;

public sealed class BeirDatasetLoaderTests
{
    [Fact]
    public async Task LoadAsync_TestSplitWithCrlfQrels_ReadsEveryFile()
    {
        using var dir = BeirFiles.Write();

        var data = await BeirDatasetLoader.LoadAsync(dir.Path, BeirSplit.Test, withTenants: true, TestContext.Current.CancellationToken);

        Assert.Equal(["d1", "d2", "3", "d4"], data.Corpus.Select(d => d.Id));
        Assert.Equal("Vitamin D and bone", data.Corpus[0].Title);
        Assert.Equal(["q1", "q2"], data.Queries.Select(q => q.Id));
        Assert.Equal(1, data.Qrels["q1"]["d1"]);
        Assert.Equal(2, data.Qrels["q2"]["d2"]);
        Assert.Equal(0, data.Qrels["q2"]["3"]);
        Assert.Equal("tenant-01", data.DocumentTenants!["3"]);
        Assert.Equal("tenant-01", data.QueryTenants!["q2"]);
    }

    [Fact]
    public async Task LoadAsync_TrainSplit_UsesTrainFiles()
    {
        using var dir = BeirFiles.Write();

        var data = await BeirDatasetLoader.LoadAsync(dir.Path, BeirSplit.Train, withTenants: true, TestContext.Current.CancellationToken);

        Assert.Equal("t1", Assert.Single(data.Queries).Id);
        Assert.Equal(1, data.Qrels["t1"]["d4"]);
        Assert.Equal("tenant-00", data.QueryTenants!["t1"]);
    }

    [Fact]
    public async Task LoadAsync_WithoutTenants_NeedsNoTenantFiles()
    {
        using var dir = BeirFiles.Write();
        File.Delete(Path.Combine(dir.Path, "tenants.tsv"));

        var data = await BeirDatasetLoader.LoadAsync(dir.Path, BeirSplit.Test, withTenants: false, TestContext.Current.CancellationToken);

        Assert.Null(data.DocumentTenants);
        Assert.Null(data.QueryTenants);
    }

    [Fact]
    public async Task LoadAsync_MissingDirectory_IsUsageErrorNamingIt()
    {
        var missing = Path.Combine(Path.GetTempPath(), "no-such-beir-" + Guid.NewGuid().ToString("N"));

        var ex = await Assert.ThrowsAsync<EvaluationDataException>(() =>
            BeirDatasetLoader.LoadAsync(missing, BeirSplit.Test, false, TestContext.Current.CancellationToken));

        Assert.Equal(2, ex.ExitCode);
        Assert.Contains(missing, ex.Message, StringComparison.Ordinal);
        Assert.Contains("--data", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("qrels_train.tsv", BeirSplit.Train, false)]
    [InlineData("queries.jsonl", BeirSplit.Test, false)]
    [InlineData("queries_tenant.tsv", BeirSplit.Test, true)]
    public async Task LoadAsync_MissingFile_NamesTheFile(string file, BeirSplit split, bool withTenants)
    {
        using var dir = BeirFiles.Write();
        File.Delete(Path.Combine(dir.Path, file));

        var ex = await Assert.ThrowsAsync<EvaluationDataException>(() =>
            BeirDatasetLoader.LoadAsync(dir.Path, split, withTenants, TestContext.Current.CancellationToken));

        Assert.Contains(file, ex.Message, StringComparison.Ordinal);
        Assert.Contains("missing", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("corpus.jsonl", "{\"_id\": \"d1\", \"text\": \"x\"}\n{\"_id\": \"d2\", \"text\": \"broken\"\n", "corpus.jsonl line 2: invalid JSON")]
    [InlineData("corpus.jsonl", "{\"_id\": \"d1\", \"text\": \"x\"}\n{\"_id\": \"d1\", \"text\": \"y\"}\n", "corpus.jsonl line 2: duplicate _id 'd1'")]
    [InlineData("corpus.jsonl", "{\"title\": \"no id\", \"text\": \"x\"}\n", "corpus.jsonl line 1: missing \"_id\"")]
    [InlineData("corpus.jsonl", "{\"_id\": \"d1\", \"text\": 5}\n", "corpus.jsonl line 1: \"text\" must be a string")]
    [InlineData("queries.jsonl", "[1]\n", "queries.jsonl line 1: expected a JSON object")]
    [InlineData("qrels.tsv", "query-id\tcorpus-id\tscore\r\nq1\td1\r\n", "qrels.tsv line 2: expected 3 tab-separated fields but found 2")]
    [InlineData("qrels.tsv", "query-id\tcorpus-id\tscore\r\nq1\td1\thigh\r\n", "qrels.tsv line 2: score 'high' is not an integer")]
    [InlineData("qrels.tsv", "query-id\tcorpus-id\tscore\r\nq1\td1\t1\r\nq1\td9\t1\r\n", "qrels.tsv line 3: document 'd9' is not in corpus.jsonl")]
    [InlineData("qrels.tsv", "query-id\tcorpus-id\tscore\nq7\td1\t1\n", "qrels.tsv line 2: query 'q7' is not in the queries file")]
    [InlineData("tenants.tsv", "doc-id\ttenant\nd1\ttenant-00\n", "gives no tenant for document 'd2'")]
    [InlineData("queries_tenant.tsv", "query-id\ttenant\nq1\n", "queries_tenant.tsv line 2: expected 2 tab-separated fields")]
    public async Task LoadAsync_MalformedLine_NamesFileAndLine(string file, string content, string expected)
    {
        using var dir = BeirFiles.Write();
        dir.Write(file, content);

        var ex = await Assert.ThrowsAsync<EvaluationDataException>(() =>
            BeirDatasetLoader.LoadAsync(dir.Path, BeirSplit.Test, withTenants: true, TestContext.Current.CancellationToken));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Equal(2, ex.ExitCode);
    }

    [Fact]
    public async Task LoadAsync_SciFact_HasTheDocumentedCounts()
    {
        var dir = SciFact.Directory;
        Assert.SkipWhen(dir is null, "../shared/eval/scifact is not present");

        var test = await BeirDatasetLoader.LoadAsync(dir, BeirSplit.Test, withTenants: true, TestContext.Current.CancellationToken);
        var train = await BeirDatasetLoader.LoadAsync(dir, BeirSplit.Train, withTenants: true, TestContext.Current.CancellationToken);

        Assert.Equal(5183, test.Corpus.Count);
        Assert.Equal(300, test.Queries.Count);
        Assert.Equal(339, test.Qrels.Sum(q => q.Value.Count));
        Assert.Equal(300, test.EvaluableQueries(perTenant: false).Count);
        Assert.Equal(277, test.EvaluableQueries(perTenant: true).Count);
        Assert.Equal(20, test.DocumentTenants!.Values.Distinct().Count());
        Assert.Equal(809, train.Queries.Count);
        Assert.Equal(919, train.Qrels.Sum(q => q.Value.Count));
        Assert.Equal(732, train.EvaluableQueries(perTenant: true).Count);
    }
}
