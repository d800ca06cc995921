using TenantRag.Tenancy;

namespace TenantRag.Documents;

/// <summary>Documents of a tenant, as the caller (tenant and user) may see and change them. Each call is one transaction.</summary>
public interface IDocumentRepository
{
    /// <summary>The content hash of the caller's document from <paramref name="source"/>, or null when there is none.</summary>
    Task<string?> FindContentHashAsync(TenantContext context, string source, CancellationToken cancellationToken = default);

    /// <summary>
    /// The content hashes of the caller's documents from any of <paramref name="sources"/>, by source (sources without a
    /// document are absent): one round trip for many sources, e.g. every line of a corpus file. The default asks one by one.
    /// </summary>
    async Task<Dictionary<string, string>> FindContentHashesAsync(TenantContext context, IReadOnlyCollection<string> sources, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sources);
        var found = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var source in sources)
        {
            if (await FindContentHashAsync(context, source, cancellationToken).ConfigureAwait(false) is { } hash)
            {
                found[source] = hash;
            }
        }

        return found;
    }

    /// <summary>Stored vectors of <paramref name="model"/> for any of these chunk content hashes, to skip embedding them again.</summary>
    Task<Dictionary<string, float[]>> FindEmbeddingsAsync(TenantContext context, IReadOnlyCollection<string> chunkHashes, EmbeddingModel model, CancellationToken cancellationToken = default);

    /// <summary>Stores (adds, replaces, or leaves unchanged) a document with its chunks, atomically.</summary>
    Task<(Guid Id, StoreOutcome Outcome)> StoreAsync(TenantContext context, NewDocument document, IReadOnlyList<NewChunk> chunks, EmbeddingModel? model, CancellationToken cancellationToken = default);

    /// <summary>The documents the caller may see.</summary>
    Task<IReadOnlyList<DocumentSummary>> ListAsync(TenantContext context, CancellationToken cancellationToken = default);

    /// <summary>One page of the documents the caller may see, newest first, filtered by the query.</summary>
    /// <exception cref="UsageException">The query's cursor is not one this installation made.</exception>
    Task<DocumentPage> ListPageAsync(TenantContext context, DocumentListQuery query, CancellationToken cancellationToken = default);

    /// <summary>One document the caller may see with its extracted text, or null (missing, another tenant's, or another user's private one look the same).</summary>
    Task<DocumentContent?> GetContentAsync(TenantContext context, Guid id, CancellationToken cancellationToken = default);

    /// <summary>One document the caller may see, or null (missing, another tenant's, or another user's private one look the same).</summary>
    Task<DocumentSummary?> GetAsync(TenantContext context, Guid id, CancellationToken cancellationToken = default);

    /// <summary>Deletes one of the caller's documents; false when there is none it may delete (missing or another tenant's look the same).</summary>
    Task<bool> DeleteAsync(TenantContext context, Guid id, CancellationToken cancellationToken = default);
}
