namespace TenantRag.Rag.Embeddings;

/// <summary>The arithmetic the embedding model's weight matrices run in.</summary>
public enum EmbeddingPrecision
{
    /// <summary>The model as published, 32-bit floats throughout: the vectors stored with documents.</summary>
    Float32,

    /// <summary>
    /// Weight matrices quantized to 8-bit integers when the model loads (activations quantized per run): about three
    /// times less CPU for a short query, vectors within a cosine of about 0.99 of <see cref="Float32"/>'s, so they
    /// search the same stored vectors.
    /// </summary>
    Int8,
}
