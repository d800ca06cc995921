using TenantRag.Rag.Embeddings;

namespace TenantRag.Rag.Tests.Embeddings;

public sealed class ForegroundActivityTests
{
    [Fact]
    public void Activity_lasts_while_any_scope_is_open_and_for_the_given_window_after()
    {
        var activity = new ForegroundActivity();
        Assert.False(activity.IsActive(TimeSpan.FromHours(1)));

        var first = activity.Begin();
        var second = activity.Begin();
        first.Dispose();
        Assert.True(activity.IsActive(TimeSpan.Zero));

        second.Dispose();
        Assert.False(activity.IsActive(TimeSpan.Zero));
        Assert.True(activity.IsActive(TimeSpan.FromHours(1)));
    }

    [Fact]
    public void A_default_scope_counts_nothing_and_disposes_safely()
    {
        var scope = default(ForegroundActivity.Scope);
        scope.Dispose();
    }
}

/// <summary>A low-priority model steps back for foreground work between batches; nothing else changes.</summary>
public sealed class LowPriorityModelForegroundTests
{
    private static readonly string[] Inputs = [.. Enumerable.Range(0, 8).Select(i => $"background sentence number {i} about invoices")];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Batches_pause_while_searches_run_and_give_the_same_vectors()
    {
        var foreground = new ForegroundActivity();
        using var model = LowPriorityModel(foreground);
        await model.GenerateAsync(Inputs, cancellationToken: Ct);

        var withoutSearches = await model.GenerateAsync(Inputs, cancellationToken: Ct);
        var pausesWithoutSearches = model.Worker.Pauses;
        float[][] withSearches;
        using (foreground.Begin())
        {
            withSearches = [.. (await model.GenerateAsync(Inputs, cancellationToken: Ct)).Select(e => e.Vector.ToArray())];
        }

        // Each batch is a piece of work of its own, after which the thread pauses while a search runs (the last pause may
        // still be starting when the call has its result). The worker decides whether to pause after a piece has handed
        // back its result, so on a busy machine the last piece of the call before may only get there once the search
        // has begun, and pause too: one more. How long the pauses are is LowPriorityWorkerTests' business.
        Assert.Equal(0, pausesWithoutSearches);
        Assert.InRange(model.Worker.Pauses, Inputs.Length - 1, Inputs.Length + 1);
        for (var i = 0; i < Inputs.Length; i++)
        {
            Assert.Equal(withoutSearches[i].Vector.ToArray(), withSearches[i]);
        }
    }

    [Fact]
    public async Task Cancelling_a_call_that_steps_back_stops_it()
    {
        var foreground = new ForegroundActivity();
        using var model = LowPriorityModel(foreground);
        using var search = foreground.Begin();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var many = Enumerable.Range(0, 400).Select(i => $"long running background sentence {i} about contracts and renewals").ToArray();

        var call = model.GenerateAsync(many, cancellationToken: cancel.Token);
        await Task.Delay(200, Ct);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
    }

    private static LowPriorityEmbeddingGenerator LowPriorityModel(ForegroundActivity foreground) => new(
        new MiniLmEmbeddingGenerator(new MiniLmEmbeddingGeneratorOptions { IntraOpNumThreads = 1 }),
        new LowPriorityEmbeddingGeneratorOptions { BatchSize = 1, Worker = new LowPriorityWorkerOptions { Foreground = foreground } });
}
