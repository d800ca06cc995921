namespace TenantRag.Rag.Embeddings;

/// <summary>
/// Identifies the model behind an embedding generator, so stores can record which model and
/// vector size their vectors came from and refuse to mix vectors of different models.
/// </summary>
public interface IEmbeddingModelInfo
{
    /// <summary>Gets the model's name, e.g. <c>all-MiniLM-L6-v2</c>.</summary>
    string ModelName { get; }

    /// <summary>Gets the number of dimensions of every vector the model produces.</summary>
    int Dimensions { get; }
}
