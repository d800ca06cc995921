using System.Net;
using System.Text;
using TenantRag.Tenancy;
using TenantRag.Testing;

namespace TenantRag.Server.Tests;

/// <summary>
/// Issue 11, item 6: a document the database refuses to store is never answered as a success. The failure is a real
/// PostgreSQL error: a trigger, installed with admin SQL in the tenant's database (<see cref="StoreFault"/>), raises on
/// inserting a chunk that holds EXPLODE, and the store's transaction rolls back, as any failed store does.
/// </summary>
public sealed class StoreFailureApiTests(PostgresServer postgres)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(TenancyMode.Shared)]
    [InlineData(TenancyMode.Dedicated)]
    public async Task PostDocument_StoreFails_503WithRetryAfterAndNothingListed(TenancyMode mode)
    {
        await using var server = await TestServer.StartAsync(postgres, "s_store");
        var (tenant, token) = await Uploads.TenantAsync(server, "store", mode);
        await InjectStoreFailureAsync(tenant);

        var response = await Uploads.PostTextAsync(server, token, "Doomed", "This document says EXPLODE when it is stored.");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(5), response.Headers.RetryAfter?.Delta);
        var problem = await Uploads.ProblemAsync(response);
        Assert.Equal("StoreFailed", problem.GetProperty("reason").GetString());
        Assert.Contains("injected failure", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, problem.GetProperty("documentIds").GetArrayLength());
        Assert.Empty(await Uploads.TitlesAsync(server, token));
    }

    [Fact]
    public async Task PostDocument_CorpusPartlyStored_503ListsWhatWasStoredAndTheSameUploadCompletesIt()
    {
        await using var server = await TestServer.StartAsync(postgres, "s_store");
        var (tenant, token) = await Uploads.TenantAsync(server, "mixed");
        await InjectStoreFailureAsync(tenant);
        var corpus = Encoding.UTF8.GetBytes("""
            {"_id": "ok", "title": "Fine", "text": "The cafeteria opens at eight."}
            {"_id": "bad", "title": "Doomed", "text": "This line says EXPLODE when it is stored."}

            """);

        var partly = await Uploads.PostFileAsync(server, token, "corpus.jsonl", corpus);
        var listedAfterFailure = await Uploads.TitlesAsync(server, token);
        await RemoveStoreFailureAsync(tenant);
        var retried = await Uploads.PostFileAsync(server, token, "corpus.jsonl", corpus);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, partly.StatusCode);
        var problem = await Uploads.ProblemAsync(partly);
        Assert.Equal(1, problem.GetProperty("documentIds").GetArrayLength());
        Assert.Contains("1 of 2 document(s) could not be stored", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(["Fine"], listedAfterFailure);
        Assert.Equal(HttpStatusCode.Created, retried.StatusCode);
        Assert.Contains("\"added\":1", await retried.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Contains("\"unchanged\":1", await retried.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(["Doomed", "Fine"], await Uploads.TitlesAsync(server, token));
    }

    private Task InjectStoreFailureAsync(TenantInfo tenant) => StoreFault.InjectAsync(postgres, tenant.Database, "EXPLODE");

    private Task RemoveStoreFailureAsync(TenantInfo tenant) => StoreFault.RemoveAsync(postgres, tenant.Database, "EXPLODE");
}
