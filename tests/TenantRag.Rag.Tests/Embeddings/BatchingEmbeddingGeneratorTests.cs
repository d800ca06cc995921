using System.Collections.Concurrent;
using Microsoft.Extensions.AI;
using TenantRag.Rag.Embeddings;

namespace TenantRag.Rag.Tests.Embeddings;

public sealed class BatchingEmbeddingGeneratorTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Calls_arriving_while_a_batch_runs_go_together_and_each_caller_gets_its_own_vector()
    {
        var inner = new GatedGenerator();
        using var batching = new BatchingEmbeddingGenerator(inner, maxBatchSize: 8);

        var first = batching.GenerateAsync(["text 0"], cancellationToken: Ct);
        await inner.Started.WaitAsync(Ct); // the first batch (one text) is inside the model
        var rest = Enumerable.Range(1, 12).Select(i => batching.GenerateAsync([$"text {i}"], cancellationToken: Ct)).ToList();
        inner.Release();
        var results = await Task.WhenAll([first, .. rest]);

        for (var i = 0; i < results.Length; i++)
        {
            Assert.Equal(GatedGenerator.VectorOf($"text {i}"), results[i].Single().Vector.ToArray());
        }

        Assert.Equal([1, 8, 4], inner.BatchSizes);
        Assert.Equal((3L, 13L), batching.Statistics);
    }

    [Fact]
    public async Task A_failing_text_fails_only_its_caller()
    {
        var inner = new GatedGenerator { Poison = "poison" };
        using var batching = new BatchingEmbeddingGenerator(inner);

        var first = batching.GenerateAsync(["warm"], cancellationToken: Ct);
        await inner.Started.WaitAsync(Ct);
        var good = batching.GenerateAsync(["good"], cancellationToken: Ct);
        var bad = batching.GenerateAsync(["poison"], cancellationToken: Ct);
        inner.Release();

        await first;
        Assert.Equal(GatedGenerator.VectorOf("good"), (await good).Single().Vector.ToArray());
        await Assert.ThrowsAsync<InvalidDataException>(() => bad);
    }

    [Fact]
    public async Task Several_texts_and_calls_with_options_pass_straight_through()
    {
        var inner = new GatedGenerator();
        inner.Release();
        using var batching = new BatchingEmbeddingGenerator(inner);

        var many = await batching.GenerateAsync(["a", "b", "c"], cancellationToken: Ct);
        await batching.GenerateAsync(["d"], new EmbeddingGenerationOptions { Dimensions = 4 }, Ct);

        Assert.Equal(3, many.Count);
        Assert.Equal([3, 1], inner.BatchSizes);
        Assert.Equal((0L, 0L), batching.Statistics);
    }

    /// <summary>Blocks its first call until released, records batch sizes, fails batches holding the poison text.</summary>
    private sealed class GatedGenerator : IEmbeddingGenerator<string, Embedding<float>>
    {
        private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly ConcurrentQueue<int> _sizes = new();

        public string? Poison { get; init; }

        public Task Started => _started.Task;

        public List<int> BatchSizes => [.. _sizes];

        public static float[] VectorOf(string text) => [text.Length, text.GetHashCode(StringComparison.Ordinal) % 1000, 1, 0];

        public void Release() => _release.TrySetResult();

        public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
        {
            var texts = values.ToArray();
            _sizes.Enqueue(texts.Length);
            _started.TrySetResult();
            await _release.Task;
            if (Poison is not null && texts.Contains(Poison))
            {
                throw new InvalidDataException("poisoned batch");
            }

            return [.. texts.Select(t => new Embedding<float>(VectorOf(t)))];
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
