using System.Collections.Concurrent;
using System.Numerics.Tensors;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.AI;
using TenantRag.Rag.Embeddings;
using TenantRag.Rag.Generation;

namespace TenantRag.Integration.Tests;

/// <summary>
/// A deterministic stand-in for the embedding model: the text's content words (stemmed, without stop words) hashed
/// into signed buckets, unit length. Texts sharing words are similar, texts sharing none score about 0. Its name and
/// size are settable, so a test can play two different models. It records every call, so a test can see what was (or
/// was not) embedded.
/// </summary>
internal sealed class BagOfWordsEmbeddingGenerator(string name = "fake-bow-256", int dimensions = 256)
    : IEmbeddingGenerator<string, Embedding<float>>, IEmbeddingModelInfo
{
    private readonly ConcurrentQueue<string[]> _calls = new();

    public string ModelName => name;

    /// <summary>The inputs of every call, in call order.</summary>
    public IReadOnlyList<string[]> Calls => [.. _calls];

    /// <summary>Every text embedded so far.</summary>
    public int InputCount => _calls.Sum(c => c.Length);

    public int Dimensions => dimensions;

    public float[] Vector(string text)
    {
        var vector = new float[dimensions];
        foreach (var term in QuestionTerms.Of(text))
        {
            var hash = SHA256.HashData(Encoding.UTF8.GetBytes(term));
            var bucket = (int)(BitConverter.ToUInt32(hash, 0) % (uint)(dimensions - 1));
            vector[bucket] += (hash[4] & 1) == 0 ? 1f : -1f;
        }

        // A text of stop words only still needs a direction: the last bucket, which no word uses.
        if (TensorPrimitives.Norm(vector) == 0f)
        {
            vector[dimensions - 1] = 1f;
        }

        TensorPrimitives.Divide(vector, TensorPrimitives.Norm(vector), vector);
        return vector;
    }

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var inputs = values.ToArray();
        _calls.Enqueue(inputs);
        return Task.FromResult(new GeneratedEmbeddings<Embedding<float>>(inputs.Select(v => new Embedding<float>(Vector(v)) { ModelId = name })));
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }
}
