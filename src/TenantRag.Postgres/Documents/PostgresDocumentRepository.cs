using TenantRag.Documents;
using TenantRag.Postgres.Tenancy;
using TenantRag.Tenancy;

namespace TenantRag.Postgres.Documents;

/// <summary><see cref="IDocumentRepository"/> on PostgreSQL: one tenant session (transaction) per call.</summary>
/// <param name="sessions">Opens the tenant sessions.</param>
/// <param name="cursors">Seals and opens the cursors of document lists.</param>
public sealed class PostgresDocumentRepository(TenantConnectionFactory sessions, DocumentCursor cursors) : IDocumentRepository
{
    /// <inheritdoc />
    public async Task<string?> FindContentHashAsync(TenantContext context, string source, CancellationToken cancellationToken = default)
    {
        await using var session = await sessions.OpenSessionAsync(context, cancellationToken).ConfigureAwait(false);
        return await ChunkStore.FindContentHashAsync(session, source, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<Dictionary<string, string>> FindContentHashesAsync(TenantContext context, IReadOnlyCollection<string> sources, CancellationToken cancellationToken = default)
    {
        await using var session = await sessions.OpenSessionAsync(context, cancellationToken).ConfigureAwait(false);
        return await ChunkStore.FindContentHashesAsync(session, sources, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<Dictionary<string, float[]>> FindEmbeddingsAsync(TenantContext context, IReadOnlyCollection<string> chunkHashes, EmbeddingModel model, CancellationToken cancellationToken = default)
    {
        await using var session = await sessions.OpenSessionAsync(context, cancellationToken).ConfigureAwait(false);
        return await ChunkStore.FindEmbeddingsAsync(session, chunkHashes, model, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<(Guid Id, StoreOutcome Outcome)> StoreAsync(TenantContext context, NewDocument document, IReadOnlyList<NewChunk> chunks, EmbeddingModel? model, CancellationToken cancellationToken = default) =>
        sessions.WriteAsync(context, (session, token) => ChunkStore.StoreAsync(session, document, chunks, model, token), cancellationToken);

    /// <inheritdoc />
    public async Task<IReadOnlyList<DocumentSummary>> ListAsync(TenantContext context, CancellationToken cancellationToken = default)
    {
        await using var session = await sessions.OpenSessionAsync(context, cancellationToken).ConfigureAwait(false);
        return await DocumentStore.ListAsync(session, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<DocumentPage> ListPageAsync(TenantContext context, DocumentListQuery query, CancellationToken cancellationToken = default)
    {
        await using var session = await sessions.OpenSessionAsync(context, cancellationToken).ConfigureAwait(false);
        return await DocumentStore.ListPageAsync(session, query, cursors, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<DocumentContent?> GetContentAsync(TenantContext context, Guid id, CancellationToken cancellationToken = default)
    {
        await using var session = await sessions.OpenSessionAsync(context, cancellationToken).ConfigureAwait(false);
        return await DocumentStore.GetContentAsync(session, id, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<DocumentSummary?> GetAsync(TenantContext context, Guid id, CancellationToken cancellationToken = default)
    {
        await using var session = await sessions.OpenSessionAsync(context, cancellationToken).ConfigureAwait(false);
        return await DocumentStore.GetAsync(session, id, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<bool> DeleteAsync(TenantContext context, Guid id, CancellationToken cancellationToken = default) =>
        sessions.WriteAsync(context, (session, token) => ChunkStore.DeleteDocumentAsync(session, id, token), cancellationToken);
}
