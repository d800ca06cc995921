namespace TenantRag.Documents;

/// <summary>The model that made a set of vectors: stored beside each vector, so a model change is detected.</summary>
/// <param name="Name">Model name, e.g. <c>all-MiniLM-L6-v2</c>.</param>
/// <param name="Dimensions">Vector length.</param>
public readonly record struct EmbeddingModel(string Name, int Dimensions)
{
    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Dimensions} dimensions)";
}
