using System.Collections.Concurrent;
using System.Numerics.Tensors;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.AI;
using TenantRag.Rag.Embeddings;

namespace TenantRag.Integration.Tests.Ingestion;

/// <summary>
/// A deterministic stand-in for the model: the SHA-256 of a text, as 16 centred bytes, normalised to unit length.
/// Equal texts get equal vectors; it records every call so tests can see what was (not) embedded.
/// </summary>
internal sealed class FakeEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>, IEmbeddingModelInfo
{
    public const int VectorDimensions = 16;

    public const string Name = "fake-sha256-16";

    private readonly ConcurrentQueue<string[]> _calls = new();

    public string ModelName => Name;

    public int Dimensions => VectorDimensions;

    /// <summary>The inputs of every call, in call order.</summary>
    public IReadOnlyList<string[]> Calls => [.. _calls];

    /// <summary>Every text embedded so far.</summary>
    public int InputCount => _calls.Sum(c => c.Length);

    public static float[] Vector(string text)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text));
        var vector = new float[VectorDimensions];
        for (var i = 0; i < vector.Length; i++)
        {
            vector[i] = hash[i] - 127.5f;
        }

        TensorPrimitives.Divide(vector, TensorPrimitives.Norm(vector), vector);
        return vector;
    }

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var inputs = values.ToArray();
        _calls.Enqueue(inputs);
        return Task.FromResult(new GeneratedEmbeddings<Embedding<float>>(inputs.Select(text => new Embedding<float>(Vector(text)) { ModelId = Name })));
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }
}
