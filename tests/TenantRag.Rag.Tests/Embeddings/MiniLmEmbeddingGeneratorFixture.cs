using TenantRag.Rag.Embeddings;

namespace TenantRag.Rag.Tests.Embeddings;

/// <summary>Loads the real bundled model once for all tests of a class (loading takes about a second).</summary>
public sealed class MiniLmEmbeddingGeneratorFixture : IDisposable
{
    public MiniLmEmbeddingGenerator Generator { get; } = new();

    public void Dispose() => Generator.Dispose();
}
