using System.Collections.Concurrent;
using Microsoft.Extensions.AI;
using TenantRag.Rag.Embeddings;

namespace TenantRag.Rag.Tests.Embeddings;

/// <summary>The delegating generator runs the inner one on idle-priority threads, a piece at a time, and changes nothing else.</summary>
public sealed class LowPriorityEmbeddingGeneratorTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task GenerateAsync_Pieces_RunOnIdlePriorityThreadsAndComeBackInInputOrder()
    {
        var inner = new RecordingGenerator();
        using var generator = new LowPriorityEmbeddingGenerator(inner, new LowPriorityEmbeddingGeneratorOptions { BatchSize = 3, Worker = { Threads = 2 } });
        string[] inputs = [.. Enumerable.Range(0, 10).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))];

        var embeddings = await generator.GenerateAsync(inputs, cancellationToken: Ct);

        Assert.Equal(Enumerable.Range(0, 10).Select(i => (float)i), embeddings.Select(e => e.Vector.Span[0]));
        Assert.Equal([3, 3, 3, 1], inner.Calls.OrderBy(c => c.First).Select(c => c.Count));
        Assert.All(inner.Calls, c => Assert.Equal((19, ThreadStat.SchedIdle), (c.Nice, c.Policy)));
        Assert.DoesNotContain(inner.Calls, c => c.Thread == Environment.CurrentManagedThreadId);
        Assert.Equal(10, embeddings.Usage!.InputTokenCount);
    }

    [Fact]
    public async Task GenerateAsync_AFailingPiece_FailsTheCallWithItsErrorAndDropsThePiecesNotStarted()
    {
        var inner = new RecordingGenerator { FailOn = "bad" };
        using var generator = new LowPriorityEmbeddingGenerator(inner, new LowPriorityEmbeddingGeneratorOptions { BatchSize = 1 });
        string[] inputs = ["1", "bad", .. Enumerable.Range(2, 50).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))];

        var error = await Assert.ThrowsAsync<ArgumentException>(() => generator.GenerateAsync(inputs, cancellationToken: Ct));

        Assert.Contains("bad", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, inner.Calls.Count);
    }

    [Fact]
    public async Task GetServiceAndDispose_ReachTheInnerGenerator()
    {
        var inner = new RecordingGenerator();
        var generator = new LowPriorityEmbeddingGenerator(inner);

        Assert.Same(inner, generator.GetService<RecordingGenerator>());
        Assert.Same(generator, generator.GetService<LowPriorityEmbeddingGenerator>());
        generator.Dispose();

        Assert.True(inner.Disposed);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => generator.GenerateAsync(["late"], cancellationToken: Ct));
    }

    /// <summary>Returns [first input as a number]; records each call's thread and its priority.</summary>
    private sealed class RecordingGenerator : IEmbeddingGenerator<string, Embedding<float>>
    {
        public ConcurrentBag<(string First, int Count, int Thread, int Nice, int Policy)> Calls { get; } = [];

        public string? FailOn { get; init; }

        public bool Disposed { get; private set; }

        public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
            CancellationToken cancellationToken = default)
        {
            var inputs = values.ToList();
            Calls.Add((inputs[0], inputs.Count, Environment.CurrentManagedThreadId, ThreadStat.Nice(), ThreadStat.Policy()));
            if (FailOn is not null && inputs.Contains(FailOn))
            {
                throw new ArgumentException($"input '{FailOn}' cannot be embedded", nameof(values));
            }

            var result = new GeneratedEmbeddings<Embedding<float>>(inputs.Select(i => new Embedding<float>(new[] { float.Parse(i, System.Globalization.CultureInfo.InvariantCulture) })))
            {
                Usage = new UsageDetails { InputTokenCount = inputs.Count },
            };
            return Task.FromResult(result);
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;

        public void Dispose() => Disposed = true;
    }
}
