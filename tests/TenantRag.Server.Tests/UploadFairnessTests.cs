using System.Net;
using System.Text;
using TenantRag.Testing;

namespace TenantRag.Server.Tests;

/// <summary>
/// Issue 11, item 4: one tenant's upload must not hold another tenant's. Tenants take turns on the shared upload model a
/// batch at a time, and a request that goes away stops its work and frees its slot. The upload model is a stand-in that
/// takes a fixed time per call, so the order of events is what is asserted, never how long anything took.
/// </summary>
public sealed class UploadFairnessTests(PostgresServer postgres)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PostDocument_TenantBsSmallUpload_FinishesWhileTenantAsLargeUploadIsStillEmbedding()
    {
        var model = new SlowEmbeddingGenerator(TimeSpan.FromMilliseconds(200));
        await using var server = await TestServer.StartAsync(postgres, "s_fair", embeddings: model);
        var (_, a) = await Uploads.TenantAsync(server, "fair-a");
        var (_, b) = await Uploads.TenantAsync(server, "fair-b");

        // About 300 chunks: at 16 chunks a turn and 200 ms a turn, several seconds of embedding.
        var large = Uploads.PostFileAsync(server, a, "manual.md", Manual("alpha", 6_000));
        await model.FirstCall.WaitAsync(TimeSpan.FromSeconds(60), Ct);
        var small = await Uploads.PostTextAsync(server, b, "Parking", "Visitors park on level 2 (bravo).");
        var largeWasRunning = !large.IsCompleted;
        var callsWhenSmallFinished = model.Calls;

        Assert.Equal(HttpStatusCode.Created, small.StatusCode);
        Assert.True(largeWasRunning, "tenant B's 1-chunk upload waited for tenant A's whole upload");
        Assert.Equal(HttpStatusCode.Created, (await large).StatusCode);
        Assert.True(model.Calls > callsWhenSmallFinished, "tenant A's upload was still being embedded after tenant B's finished");
        Assert.Equal(["Parking"], await Uploads.TitlesAsync(server, b));
        Assert.Equal(["Manual alpha"], await Uploads.TitlesAsync(server, a));
    }

    // An upload is a job once stored: a client that stops waiting for it (Prefer: wait) loses nothing, and the tenant's
    // upload slot (Limits:IngestConcurrency) is free for its next upload at once.
    [Fact]
    public async Task PostDocument_ClientStopsWaiting_TheJobStillFinishesAndTheTenantsSlotIsFree()
    {
        var model = new SlowEmbeddingGenerator(TimeSpan.FromMilliseconds(200));
        await using var server = await TestServer.StartAsync(postgres, "s_fair", new Dictionary<string, string?> { ["Limits:IngestConcurrency"] = "1" }, model);
        var (_, token) = await Uploads.TenantAsync(server, "gone");
        using var client = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var upload = Uploads.SendFileAsync(server, token, "manual.md", Manual("charlie", 600), client.Token);
        await model.FirstCall.WaitAsync(TimeSpan.FromSeconds(60), Ct);
        await client.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => upload);
        var next = await Uploads.PostTextAsync(server, token, "Next", "The next upload of the same tenant (delta).");

        var titles = await Uploads.TitlesAsync(server, token);
        for (var deadline = DateTime.UtcNow.AddSeconds(60); titles.Length < 2 && DateTime.UtcNow < deadline; titles = await Uploads.TitlesAsync(server, token))
        {
            await Task.Delay(100, Ct);
        }

        Assert.Equal(HttpStatusCode.Created, next.StatusCode);
        Assert.Equal(["Manual charlie", "Next"], titles);
    }

    // A Markdown manual of numbered, distinct sentences (identical chunks would be embedded once).
    private static byte[] Manual(string marker, int sentences)
    {
        var text = new StringBuilder($"# Manual {marker}\n\n");
        for (var i = 1; i <= sentences; i++)
        {
            text.Append($"Step {i} of the {marker} procedure sets option {i * 7} before the next one. ");
            if (i % 20 == 0)
            {
                text.Append("\n\n");
            }
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            await Task.Delay(50, deadline.Token);
        }
    }
}
