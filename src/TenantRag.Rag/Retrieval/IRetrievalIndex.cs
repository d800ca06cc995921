namespace TenantRag.Rag.Retrieval;

/// <summary>An immutable in-process index of one partition of a tenant's chunks, as <see cref="RetrievalIndexCache"/> keeps it.</summary>
public interface IRetrievalIndex
{
    /// <summary>Gets the number of chunks indexed.</summary>
    int Count { get; }

    /// <summary>Gets an estimate of the memory the index holds, in bytes; the cache's budget counts it.</summary>
    long EstimatedBytes { get; }
}
