using System.Numerics.Tensors;
using System.Text;
using Microsoft.Extensions.AI;
using TenantRag.Rag.Embeddings;

namespace TenantRag.Integration.Tests.Evaluation;

/// <summary>
/// A deterministic stand-in for the embedding model: lowercase words hashed into 384 buckets, unit length. Vectors of
/// texts that share words are close, so vector search behaves like a crude lexical search, in microseconds.
/// </summary>
internal sealed class HashingEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>, IEmbeddingModelInfo
{
    public string ModelName => "hashing-test-model";

    public int Dimensions => 384;

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var result = new GeneratedEmbeddings<Embedding<float>>();
        foreach (var value in values)
        {
            result.Add(new Embedding<float>(Embed(value)) { ModelId = ModelName });
        }

        return Task.FromResult(result);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }

    private float[] Embed(string text)
    {
        var vector = new float[Dimensions];
        var word = new StringBuilder();
        foreach (var c in text.Append(' '))
        {
            if (char.IsLetterOrDigit(c))
            {
                word.Append(char.ToLowerInvariant(c));
            }
            else if (word.Length > 0)
            {
                // FNV-1a: string.GetHashCode is randomised per process, and vectors are stored across processes.
                var hash = 2166136261u;
                foreach (var ch in word.ToString())
                {
                    hash = (hash ^ ch) * 16777619u;
                }

                vector[hash % (uint)Dimensions] += 1;
                word.Clear();
            }
        }

        var norm = TensorPrimitives.Norm(vector);
        if (norm == 0)
        {
            vector[0] = 1;
            return vector;
        }

        TensorPrimitives.Divide(vector, norm, vector);
        return vector;
    }
}
