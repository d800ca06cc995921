using TenantRag.Documents;
using TenantRag.Tenancy;

namespace TenantRag.Integration.Tests;

/// <summary>Passes every call to the real repository; a test overrides the calls it watches.</summary>
internal abstract class DelegatingDocumentRepository(IDocumentRepository inner) : IDocumentRepository
{
    public virtual Task<(Guid Id, StoreOutcome Outcome)> StoreAsync(TenantContext context, NewDocument document, IReadOnlyList<NewChunk> chunks, EmbeddingModel? model, CancellationToken cancellationToken = default) =>
        inner.StoreAsync(context, document, chunks, model, cancellationToken);

    public Task<string?> FindContentHashAsync(TenantContext context, string source, CancellationToken cancellationToken = default) =>
        inner.FindContentHashAsync(context, source, cancellationToken);

    public Task<Dictionary<string, string>> FindContentHashesAsync(TenantContext context, IReadOnlyCollection<string> sources, CancellationToken cancellationToken = default) =>
        inner.FindContentHashesAsync(context, sources, cancellationToken);

    public Task<Dictionary<string, float[]>> FindEmbeddingsAsync(TenantContext context, IReadOnlyCollection<string> chunkHashes, EmbeddingModel model, CancellationToken cancellationToken = default) =>
        inner.FindEmbeddingsAsync(context, chunkHashes, model, cancellationToken);

    public Task<IReadOnlyList<DocumentSummary>> ListAsync(TenantContext context, CancellationToken cancellationToken = default) => inner.ListAsync(context, cancellationToken);

    public Task<DocumentPage> ListPageAsync(TenantContext context, DocumentListQuery query, CancellationToken cancellationToken = default) =>
        inner.ListPageAsync(context, query, cancellationToken);

    public Task<DocumentContent?> GetContentAsync(TenantContext context, Guid id, CancellationToken cancellationToken = default) => inner.GetContentAsync(context, id, cancellationToken);

    public Task<DocumentSummary?> GetAsync(TenantContext context, Guid id, CancellationToken cancellationToken = default) => inner.GetAsync(context, id, cancellationToken);

    public Task<bool> DeleteAsync(TenantContext context, Guid id, CancellationToken cancellationToken = default) => inner.DeleteAsync(context, id, cancellationToken);
}
