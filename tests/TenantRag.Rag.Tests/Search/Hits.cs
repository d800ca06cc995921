using System.Numerics.Tensors;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.AI;
using TenantRag.Documents;
using TenantRag.Rag.Embeddings;
using TenantRag.Rag.Generation;
using TenantRag.Rag.Retrieval.Search;

namespace TenantRag.Rag.Tests.Search;

/// <summary>Search hits made up for answer tests, and a word-hashing embedding generator to score them.</summary>
internal static class Hits
{
    public static SearchHit Of(int rank, string title, string content, int ordinal = 0) => new()
    {
        Rank = rank,
        Score = 1.0 / rank,
        Chunk = new ChunkDetails
        {
            Id = 1000 + rank,
            DocumentId = new Guid(MD5.HashData(Encoding.UTF8.GetBytes(title))),
            DocumentTitle = title,
            Ordinal = ordinal,
            Heading = title,
            Content = content,
            Visibility = DocumentVisibility.Tenant,
        },
    };

    /// <summary>Content words hashed into 128 signed buckets: texts sharing words are similar.</summary>
    public sealed class WordEmbeddings : IEmbeddingGenerator<string, Embedding<float>>, IEmbeddingModelInfo
    {
        public string ModelName => "words-128";

        public int Dimensions => 128;

        public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(new GeneratedEmbeddings<Embedding<float>>(values.Select(v => new Embedding<float>(Vector(v)))));

        public object? GetService(Type serviceType, object? serviceKey = null) => serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

        public void Dispose()
        {
        }

        private static float[] Vector(string text)
        {
            var vector = new float[128];
            foreach (var term in QuestionTerms.Of(text))
            {
                var hash = SHA256.HashData(Encoding.UTF8.GetBytes(term));
                vector[hash[0] % 127] += (hash[1] & 1) == 0 ? 1 : -1;
            }

            vector[127] = 0.01f;
            TensorPrimitives.Divide(vector, TensorPrimitives.Norm(vector), vector);
            return vector;
        }
    }
}
