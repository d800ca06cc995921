using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.AI;
using TenantRag.Rag.Embeddings;

namespace TenantRag.Server.Tests;

/// <summary>
/// A stand-in for the upload model that takes a fixed time per call (cancellable, as the real one is between batches),
/// counts its calls and remembers the texts, so tests can see whose chunks it embeds and when it stops. Vectors are
/// deterministic (a hash of the text).
/// </summary>
internal sealed class SlowEmbeddingGenerator(TimeSpan perCall) : IEmbeddingGenerator<string, Embedding<float>>, IEmbeddingModelInfo
{
    private readonly Lock _lock = new();
    private readonly List<string> _texts = [];
    private readonly TaskCompletionSource _firstCall = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _calls;
    private int _running;

    public string ModelName => "slow-test-model";

    public int Dimensions => 384;

    /// <summary>Calls begun.</summary>
    public int Calls => Volatile.Read(ref _calls);

    /// <summary>Calls not yet returned.</summary>
    public int Running => Volatile.Read(ref _running);

    /// <summary>Completes when the first call begins.</summary>
    public Task FirstCall => _firstCall.Task;

    /// <summary>Every text handed over so far, in order.</summary>
    public IReadOnlyList<string> Texts
    {
        get
        {
            lock (_lock)
            {
                return [.. _texts];
            }
        }
    }

    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var inputs = values.ToList();
        lock (_lock)
        {
            _texts.AddRange(inputs);
        }

        Interlocked.Increment(ref _calls);
        Interlocked.Increment(ref _running);
        _firstCall.TrySetResult();
        try
        {
            await Task.Delay(perCall, cancellationToken);
            return [.. inputs.Select(text => new Embedding<float>(Vector(text)))];
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }

    private float[] Vector(string text)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text));
        var vector = new float[Dimensions];
        for (var i = 0; i < vector.Length; i++)
        {
            vector[i] = hash[i % hash.Length] - 127.5f;
        }

        var norm = MathF.Sqrt(vector.Sum(v => v * v));
        return [.. vector.Select(v => v / norm)];
    }
}
