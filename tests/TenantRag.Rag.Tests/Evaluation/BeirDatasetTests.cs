using TenantRag.Rag.Evaluation;

namespace TenantRag.Rag.Tests.Evaluation;

public sealed class BeirDatasetTests
{
    [Fact]
    public async Task Slice_OneQuery_KeepsItsJudgedDocumentsAndDistractors()
    {
        using var dir = BeirFiles.Write();
        var data = await BeirDatasetLoader.LoadAsync(dir.Path, BeirSplit.Test, withTenants: true, TestContext.Current.CancellationToken);

        var slice = data.Slice(queries: 1, distractorsPerQuery: 1, perTenant: true);

        Assert.Equal("q1", Assert.Single(slice.Queries).Id);
        Assert.Equal(["d1", "d2"], slice.Corpus.Select(d => d.Id));
        Assert.Equal(["q1"], slice.Qrels.Keys);
        Assert.Equal(["q1"], slice.QueryTenants!.Keys);
    }

    [Fact]
    public async Task EvaluableQueries_PerTenant_DropsQueriesWithoutATenant()
    {
        using var dir = BeirFiles.Write();
        dir.Write("queries_tenant.tsv", "query-id\ttenant\nq2\ttenant-01\n");
        var data = await BeirDatasetLoader.LoadAsync(dir.Path, BeirSplit.Test, withTenants: true, TestContext.Current.CancellationToken);

        Assert.Equal(["q2"], data.EvaluableQueries(perTenant: true).Select(q => q.Id));
        Assert.Equal(["q1", "q2"], data.EvaluableQueries(perTenant: false).Select(q => q.Id));
    }
}
