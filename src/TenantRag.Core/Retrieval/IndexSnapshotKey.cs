using TenantRag.Documents;

namespace TenantRag.Retrieval;

/// <summary>
/// Which persisted index snapshot of a tenant's tenant-wide partition: the full-text index, or the vector index of one
/// embedding model. (Users' private partitions are small and have none: they load from the chunks.)
/// </summary>
/// <param name="Model">The embedding model of a vector index; null for the full-text index.</param>
public readonly record struct IndexSnapshotKey(EmbeddingModel? Model)
{
    /// <summary>The full-text (BM25) index.</summary>
    public static IndexSnapshotKey Lexical { get; }

    /// <summary>The stored kind: <c>vector</c> or <c>lexical</c>.</summary>
    public string Kind => Model is null ? "lexical" : "vector";

    /// <summary>The vector index of <paramref name="model"/>.</summary>
    /// <param name="model">The embedding model.</param>
    /// <returns>The key.</returns>
    public static IndexSnapshotKey Vector(EmbeddingModel model) => new(model);

    /// <inheritdoc />
    public override string ToString() => Model is { } model ? $"vector {model.Name}/{model.Dimensions}" : "lexical";
}
