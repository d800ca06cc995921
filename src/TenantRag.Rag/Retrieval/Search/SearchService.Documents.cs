using System.Diagnostics;
using TenantRag.Documents;
using TenantRag.Tenancy;

namespace TenantRag.Rag.Retrieval.Search;

public sealed partial class SearchService
{
    /// <summary>
    /// The <paramref name="k"/> best documents for <paramref name="query"/> among those the caller may see: each
    /// retriever's chunk ranking is collapsed to documents (a document ranks where its best chunk ranks), and for
    /// hybrid search the two document rankings are fused by weighted reciprocal rank. Evaluation is per document.
    /// </summary>
    /// <param name="context">The caller: tenant and user.</param>
    /// <param name="query">The query: 1 to <see cref="SearchLimits.MaxQueryLength"/> characters, no control characters.</param>
    /// <param name="k">How many documents, 1 to <see cref="SearchLimits.MaxResults"/>.</param>
    /// <param name="options">Retrieval settings for this search; null for <see cref="Defaults"/>.</param>
    /// <param name="cancellationToken">Cancels the search.</param>
    /// <returns>The ranked documents, with timings.</returns>
    /// <exception cref="UsageException">The query or <paramref name="k"/> is invalid.</exception>
    /// <exception cref="TenantNotFoundException">The tenant does not exist.</exception>
    /// <exception cref="EmbeddingModelMismatchException">The tenant's vectors were made with another model (vector and hybrid search).</exception>
    public async Task<DocumentSearchResult> SearchDocumentsAsync(TenantContext context, string query, int k, RetrievalOptions? options = null, CancellationToken cancellationToken = default) =>
        (await SearchDocumentsAsync(context, query, k, [options ?? Defaults], cancellationToken).ConfigureAwait(false))[0];

    /// <summary>
    /// As <see cref="SearchDocumentsAsync(TenantContext, string, int, RetrievalOptions?, CancellationToken)"/> under each
    /// of <paramref name="settings"/>, retrieving once: each retriever runs once (to the largest candidate depth asked),
    /// and each setting fuses its own depth of the candidates, so each result is the one a search with that setting alone
    /// returns. For comparing fusion settings on the same queries (<c>tenantrag eval</c> with several values); the
    /// timings are those of the one retrieval.
    /// </summary>
    /// <param name="context">The caller: tenant and user.</param>
    /// <param name="query">The query: 1 to <see cref="SearchLimits.MaxQueryLength"/> characters, no control characters.</param>
    /// <param name="k">How many documents, 1 to <see cref="SearchLimits.MaxResults"/>.</param>
    /// <param name="settings">One or more retrieval settings.</param>
    /// <param name="cancellationToken">Cancels the search.</param>
    /// <returns>The ranked documents under each setting, in the order of <paramref name="settings"/>.</returns>
    /// <exception cref="UsageException">The query or <paramref name="k"/> is invalid.</exception>
    /// <exception cref="TenantNotFoundException">The tenant does not exist.</exception>
    /// <exception cref="EmbeddingModelMismatchException">The tenant's vectors were made with another model (vector and hybrid search).</exception>
    public async Task<IReadOnlyList<DocumentSearchResult>> SearchDocumentsAsync(TenantContext context, string query, int k, IReadOnlyList<RetrievalOptions> settings,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentOutOfRangeException.ThrowIfZero(settings.Count);
        var started = Stopwatch.GetTimestamp();
        var validated = settings.Select(options => Validate(context, query, k, options)).ToList();
        query = validated[0].Query;
        var depth = validated.Max(v => v.Depth);
        var retrievers = validated.Select(v => v.Options.Retriever).Distinct().ToList();
        var retriever = retrievers.Count == 1 ? retrievers[0] : RetrieverKind.Hybrid;
        await using var session = await _store.OpenAsync(context, cancellationToken).ConfigureAwait(false);
        var candidates = await RetrieveAsync(session, query, depth, retriever, cancellationToken).ConfigureAwait(false);

        var fetchStarted = Stopwatch.GetTimestamp();
        var ids = candidates.Vector.Select(h => h.ChunkId).Concat(candidates.Lexical.Select(h => h.ChunkId)).Distinct().ToList();
        var chunks = ids.Count == 0 ? [] : await session.GetChunksAsync(ids, cancellationToken).ConfigureAwait(false);
        var fetchMs = Stopwatch.GetElapsedTime(fetchStarted).TotalMilliseconds;
        var byId = chunks.ToDictionary(c => c.Id);

        var results = new List<DocumentSearchResult>(validated.Count);
        var timings = new SearchTimings(Stopwatch.GetElapsedTime(started).TotalMilliseconds, candidates.EmbeddingMs, candidates.LexicalMs, candidates.VectorMs, fetchMs);
        foreach (var (_, options, optionDepth) in validated)
        {
            var documents = FuseDocuments(candidates, byId, options, optionDepth, k);
            results.Add(new DocumentSearchResult { Query = query, Retriever = options.Retriever, Documents = documents, Timings = timings });
        }

        LogSearched(context.Tenant.Value, retriever.ToName(), results[0].Documents.Count, timings.TotalMs, timings.EmbeddingMs, timings.LexicalMs, timings.VectorMs);
        return results;
    }

    /// <summary>The <paramref name="k"/> best documents under one setting, from the first <paramref name="depth"/> candidates of each retriever it uses.</summary>
    private static List<DocumentHit> FuseDocuments(RetrievalCandidates candidates, Dictionary<long, ChunkDetails> byId, RetrievalOptions options, int depth, int k)
    {
        var vectorDocuments = options.Retriever == RetrieverKind.Lexical ? [] : Collapse(candidates.Vector.Take(depth).Select(h => (h.ChunkId, h.Score)), byId, options);
        var lexicalDocuments = options.Retriever == RetrieverKind.Vector ? [] : Collapse(candidates.Lexical.Take(depth), byId, options);
        IEnumerable<(Guid Key, double Score)> ranked = options.Retriever switch
        {
            RetrieverKind.Vector => vectorDocuments.Select(d => (d.Key, (double)d.Value.Score)),
            RetrieverKind.Lexical => lexicalDocuments.Select(d => (d.Key, (double)d.Value.Score)),
            _ => RankFusion.Fuse(
                [
                    ((IReadOnlyList<Guid>)[.. vectorDocuments.Select(d => d.Key)], options.VectorWeight),
                    ((IReadOnlyList<Guid>)[.. lexicalDocuments.Select(d => d.Key)], options.LexicalWeight),
                ],
                options.RrfK),
        };

        var vectorRanks = vectorDocuments.Select((d, i) => (d.Key, Rank: i + 1)).ToDictionary(d => d.Key, d => d.Rank);
        var lexicalRanks = lexicalDocuments.Select((d, i) => (d.Key, Rank: i + 1)).ToDictionary(d => d.Key, d => d.Rank);
        var vectorBest = vectorDocuments.ToDictionary(d => d.Key, d => d.Value);
        var lexicalBest = lexicalDocuments.ToDictionary(d => d.Key, d => d.Value);
        var documents = new List<DocumentHit>(k);
        foreach (var (documentId, score) in ranked.Take(k))
        {
            var vectorRank = vectorRanks.GetValueOrDefault(documentId);
            var lexicalRank = lexicalRanks.GetValueOrDefault(documentId);

            // The best chunk is the one from the retriever that ranked the document higher.
            var best = vectorRank > 0 && (lexicalRank == 0 || vectorRank <= lexicalRank) ? vectorBest[documentId].Chunk : lexicalBest[documentId].Chunk;
            documents.Add(new DocumentHit
            {
                Rank = documents.Count + 1,
                Score = score,
                DocumentId = documentId,
                ExternalId = best.ExternalId,
                Title = best.DocumentTitle,
                BestChunk = best,
                VectorRank = vectorRank > 0 ? vectorRank : null,
                LexicalRank = lexicalRank > 0 ? lexicalRank : null,
            });
        }

        return documents;
    }

    /// <summary>
    /// A chunk ranking as a document ranking, each document with its best chunk: documents where their best chunk was,
    /// with that chunk's score, or with a <see cref="RetrievalOptions.SecondChunkWeight"/> by their score
    /// 1 / (k + r1) + weight / (k + r2) over the ranks of their two best chunks (ties in the order their best chunks came).
    /// </summary>
    private static List<KeyValuePair<Guid, (float Score, ChunkDetails Chunk)>> Collapse(IEnumerable<(long ChunkId, float Score)> ranking, Dictionary<long, ChunkDetails> chunks,
        RetrievalOptions options)
    {
        var documents = new List<KeyValuePair<Guid, (float Score, ChunkDetails Chunk)>>();
        var pages = new Dictionary<Guid, (int Chunks, double Score)>();
        var rank = 0;
        foreach (var (chunkId, score) in ranking)
        {
            // A chunk deleted since the index was loaded, or hidden by a policy, takes no rank.
            if (!chunks.TryGetValue(chunkId, out var chunk))
            {
                continue;
            }

            rank++;
            if (!pages.TryGetValue(chunk.DocumentId, out var page))
            {
                pages[chunk.DocumentId] = (1, 1 / (options.RrfK + rank));
                documents.Add(new(chunk.DocumentId, (score, chunk)));
            }
            else if (page.Chunks == 1)
            {
                pages[chunk.DocumentId] = (2, page.Score + (options.SecondChunkWeight / (options.RrfK + rank)));
            }
        }

        if (options.SecondChunkWeight > 0)
        {
            // Scored by their chunks' ranks instead; a stable sort, so equal scores keep the order of their best chunks.
            documents = [.. documents
                .Select(d => new KeyValuePair<Guid, (float Score, ChunkDetails Chunk)>(d.Key, ((float)pages[d.Key].Score, d.Value.Chunk)))
                .OrderByDescending(d => d.Value.Score)];
        }

        return documents;
    }
}
