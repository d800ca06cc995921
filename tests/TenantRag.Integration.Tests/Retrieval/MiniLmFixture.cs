using TenantRag.Rag.Embeddings;

namespace TenantRag.Integration.Tests.Retrieval;

/// <summary>The real bundled all-MiniLM-L6-v2, loaded once per test class (about a second).</summary>
public sealed class MiniLmFixture : IDisposable
{
    public MiniLmEmbeddingGenerator Generator { get; } = new();

    public void Dispose() => Generator.Dispose();
}
