using System.Collections.Concurrent;
using System.Diagnostics;
using System.Numerics.Tensors;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TenantRag.Documents;
using TenantRag.Rag.Embeddings;
using TenantRag.Rag.Observability;
using TenantRag.Retrieval;
using TenantRag.Tenancy;

namespace TenantRag.Rag.Retrieval.Search;

/// <summary>
/// Searches a tenant's chunks for a caller: vector and full-text (BM25) search on cached in-process indexes, fused by
/// weighted reciprocal rank, all inside one read transaction under the caller's tenant and user.
/// Thread-safe; keep one per process (it holds the per-tenant model check cache).
/// </summary>
/// <remarks>
/// The query is embedded on a worker thread while the session reads the data version and the query's terms and the
/// full-text index is searched, so a search costs about the larger of the two plus the in-memory vector scan. Results are read back through the
/// session, so row-level security has the last word on every chunk shown.
/// </remarks>
public sealed partial class SearchService
{
    // A version-tagged memo of each caller's visible embedding models, so the count over all chunks runs only after a
    // write; bounded crudely, since an entry is tiny and cheap to recompute.
    private const int MaxModelEntries = 10_000;

    private readonly ISearchStore _store;
    private readonly IEmbeddingGenerator<string, Embedding<float>> _embeddings;
    private readonly VectorRetriever _vectors;
    private readonly LexicalRetriever _lexical;
    private readonly RetrievalIndexCache _cache;
    private readonly string _scope;
    private readonly ILogger _logger;
    private readonly ForegroundActivity? _foreground;
    private readonly SemaphoreSlim? _embeddingSlots;
    private readonly SearchMetrics _metrics;
    private readonly ConcurrentDictionary<(TenantSlug, UserId), (long Version, IReadOnlyList<EmbeddingModel> Models)> _models = new();

    /// <summary>Creates the service.</summary>
    /// <param name="store">Opens the caller's read sessions.</param>
    /// <param name="embeddings">Embeds queries; it must say its model (<see cref="IEmbeddingModelInfo"/> or <see cref="EmbeddingGeneratorMetadata"/>).</param>
    /// <param name="cache">Holds the tenants' vector indexes; may be shared (see <see cref="SearchServiceOptions.CacheScope"/>).</param>
    /// <param name="options">Settings; null for the defaults.</param>
    /// <param name="logger">Receives timings at Debug level; never query text.</param>
    /// <exception cref="ConfigurationException">The generator does not say its model name and dimensions.</exception>
    public SearchService(ISearchStore store, IEmbeddingGenerator<string, Embedding<float>> embeddings, RetrievalIndexCache cache,
        SearchServiceOptions? options = null, ILogger<SearchService>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(embeddings);
        ArgumentNullException.ThrowIfNull(cache);
        options ??= new SearchServiceOptions();
        options.Retrieval.Validate();
        _store = store;
        _embeddings = embeddings;
        var scope = options.CacheScope ?? Guid.NewGuid().ToString("N");
        (_cache, _scope) = (cache, scope);
        _vectors = new VectorRetriever(cache, scope, options.Snapshots);
        _lexical = new LexicalRetriever(cache, scope, options.Snapshots);
        _logger = logger ?? (ILogger)NullLogger.Instance;
        Defaults = options.Retrieval;
        QueryModel = ModelOf(embeddings);
        ArgumentOutOfRangeException.ThrowIfNegative(options.QueryEmbeddingCacheBytes);
        QueryCache = options.QueryEmbeddingCacheBytes > 0 ? new QueryEmbeddingCache(options.QueryEmbeddingCacheBytes, options.IdleTimeout) : null;
        _foreground = options.Foreground;
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxConcurrentQueryEmbeddings);
        _embeddingSlots = options.MaxConcurrentQueryEmbeddings > 0 ? new SemaphoreSlim(options.MaxConcurrentQueryEmbeddings) : null;
        _metrics = new SearchMetrics(TenantRagTelemetry.Meter(options.MeterFactory));
    }

    /// <summary>Vectors of recent query texts, per tenant (only texts and vectors, never results); null when off.</summary>
    public QueryEmbeddingCache? QueryCache { get; }

    /// <summary>
    /// The bytes each tenant (by id) holds in this process for this service: its indexes in the shared cache (of this
    /// service's <see cref="SearchServiceOptions.CacheScope"/>) and its query vectors. Tenants holding nothing are absent.
    /// </summary>
    public IReadOnlyDictionary<string, long> CacheBytesByTenant()
    {
        var bytes = new Dictionary<string, long>(_cache.BytesBy(key => PartitionedIndexes.TenantOf(key, _scope)), StringComparer.Ordinal);
        foreach (var (tenant, size) in QueryCache?.BytesByTenant() ?? new Dictionary<string, long>())
        {
            bytes[tenant] = bytes.GetValueOrDefault(tenant) + size;
        }

        return bytes;
    }

    /// <summary>The model queries are embedded with; a tenant's vectors must have been made with it.</summary>
    public EmbeddingModel QueryModel { get; }

    /// <summary>The retrieval settings used when a search passes none.</summary>
    public RetrievalOptions Defaults { get; }

    /// <summary>The generator that embeds queries (answer generation scores sentences with it too).</summary>
    public IEmbeddingGenerator<string, Embedding<float>> Embeddings => _embeddings;

    /// <summary>
    /// The <paramref name="k"/> best chunks for <paramref name="query"/> among those the caller may see.
    /// </summary>
    /// <param name="context">The caller: tenant and user.</param>
    /// <param name="query">The query: 1 to <see cref="SearchLimits.MaxQueryLength"/> characters, no control characters.</param>
    /// <param name="k">How many chunks, 1 to <see cref="SearchLimits.MaxResults"/>.</param>
    /// <param name="options">Retrieval settings for this search; null for <see cref="Defaults"/>.</param>
    /// <param name="cancellationToken">Cancels the search.</param>
    /// <returns>The ranked chunks, with scores and timings.</returns>
    /// <exception cref="UsageException">The query or <paramref name="k"/> is invalid.</exception>
    /// <exception cref="TenantNotFoundException">The tenant does not exist.</exception>
    /// <exception cref="EmbeddingModelMismatchException">The tenant's vectors were made with another model (vector and hybrid search).</exception>
    public async Task<SearchResult> SearchAsync(TenantContext context, string query, int k, RetrievalOptions? options = null, CancellationToken cancellationToken = default)
    {
        // A span of the tenant, the retriever and the counts: never the query.
        using var activity = TenantRagTelemetry.ActivitySource.StartActivity("tenantrag.search");
        try
        {
            var result = await SearchCoreAsync(context, query, k, options, activity, cancellationToken).ConfigureAwait(false);
            activity?.SetTag("tenantrag.search.hits", result.Hits.Count);
            return result;
        }
        catch (Exception ex) when (activity is not null)
        {
            TenantRagTelemetry.Failed(activity, ex);
            throw;
        }
    }

    private async Task<SearchResult> SearchCoreAsync(TenantContext context, string query, int k, RetrievalOptions? options, Activity? activity, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        (query, options, var depth) = Validate(context, query, k, options);
        activity?.SetTag(TenantRagTelemetry.TenantTag, context.Tenant.Value)
            .SetTag(SearchMetrics.RetrieverTag, options.Retriever.ToName())
            .SetTag("tenantrag.search.k", k);
        using var foreground = _foreground?.Begin() ?? default;
        await using var session = await _store.OpenAsync(context, cancellationToken).ConfigureAwait(false);
        var candidates = await RetrieveAsync(session, query, depth, options.Retriever, cancellationToken).ConfigureAwait(false);

        var fusionStarted = Stopwatch.GetTimestamp();
        var vectorRanks = RankMap(candidates.Vector.Select(h => (h.ChunkId, h.Score)));
        var lexicalRanks = RankMap(candidates.Lexical);
        var ranked = Rank(options, candidates.Vector.Select(h => (h.ChunkId, h.Score)).ToList(), candidates.Lexical)
            .Take(k)
            .ToList();
        var fusionMs = Stopwatch.GetElapsedTime(fusionStarted).TotalMilliseconds;

        var fetchStarted = Stopwatch.GetTimestamp();
        var chunks = await session.GetChunksAsync([.. ranked.Select(r => r.Key)], cancellationToken).ConfigureAwait(false);
        var fetchMs = Stopwatch.GetElapsedTime(fetchStarted).TotalMilliseconds;

        var byId = chunks.ToDictionary(c => c.Id);
        var hits = new List<SearchHit>(ranked.Count);
        foreach (var (chunkId, score) in ranked)
        {
            // A chunk deleted since the index was loaded, or hidden by a policy, is not shown.
            if (!byId.TryGetValue(chunkId, out var chunk))
            {
                continue;
            }

            var vector = vectorRanks.GetValueOrDefault(chunkId);
            var lexical = lexicalRanks.GetValueOrDefault(chunkId);
            hits.Add(new SearchHit
            {
                Rank = hits.Count + 1,
                Score = score,
                Chunk = chunk,
                VectorRank = vector.Rank > 0 ? vector.Rank : null,
                VectorScore = vector.Rank > 0 ? vector.Score : null,
                LexicalRank = lexical.Rank > 0 ? lexical.Rank : null,
                LexicalScore = lexical.Rank > 0 ? lexical.Score : null,
            });
        }

        var timings = new SearchTimings(Stopwatch.GetElapsedTime(started).TotalMilliseconds, candidates.EmbeddingMs, candidates.LexicalMs, candidates.VectorMs, fetchMs);
        LogSearched(context.Tenant.Value, options.Retriever.ToName(), hits.Count, timings.TotalMs, timings.EmbeddingMs, timings.LexicalMs, timings.VectorMs);
        _metrics.Record(options.Retriever, candidates, fusionMs, fetchMs, timings.TotalMs);
        return new SearchResult
        {
            Query = query,
            Retriever = options.Retriever,
            Hits = hits,
            TopVectorScore = candidates.Vector.Count > 0 ? candidates.Vector[0].Score : null,
            LexicalCandidates = candidates.Lexical.Count,
            // Not "?: null": the null would become an empty vector through the array conversion. A full-text search has none.
            QueryVector = candidates.QueryVector is { } queryVector ? queryVector.AsMemory() : default(ReadOnlyMemory<float>?),
            Timings = timings,
        };
    }

    // The checks every search starts with; returns the validated query, the settings in force and how many
    // candidates each retriever contributes.
    private (string Query, RetrievalOptions Options, int Depth) Validate(TenantContext context, string query, int k, RetrievalOptions? options)
    {
        ArgumentNullException.ThrowIfNull(context);
        query = SearchLimits.ValidateQuery(query);
        SearchLimits.ValidateCount(k);
        options ??= Defaults;
        options.Validate();
        return (query, options, Math.Max(options.CandidateDepth, k));
    }

    /// <summary>Runs the retrievers the options ask for; the query embedding overlaps the session's database work.</summary>
    private async Task<RetrievalCandidates> RetrieveAsync(ISearchSession session, string query, int depth, RetrieverKind retriever, CancellationToken cancellationToken)
    {
        var useVector = retriever != RetrieverKind.Lexical;
        var useLexical = retriever != RetrieverKind.Vector;

        // The bundled model computes synchronously on the caller's thread: a worker thread lets it overlap the queries.
        var embedding = useVector ? Task.Run(() => EmbedQueryAsync(session.TenantId, query, cancellationToken), cancellationToken) : null;
        try
        {
            var (version, terms) = await session.StartAsync(useLexical ? query : null, cancellationToken).ConfigureAwait(false);
            var hasVectors = useVector && await CheckModelsAsync(session, version, cancellationToken).ConfigureAwait(false);

            IReadOnlyList<(long ChunkId, float Score)> lexical = [];
            var lexicalMs = 0.0;
            var lexicalIndexMs = 0.0;
            if (useLexical)
            {
                var lexicalStarted = Stopwatch.GetTimestamp();
                (lexical, lexicalIndexMs) = await _lexical.SearchTimedAsync(session, version, terms ?? [], depth, cancellationToken).ConfigureAwait(false);
                lexicalMs = Stopwatch.GetElapsedTime(lexicalStarted).TotalMilliseconds;
            }

            IReadOnlyList<VectorIndexHit> vector = [];
            var vectorMs = 0.0;
            var vectorIndexMs = 0.0;
            var embeddingMs = 0.0;
            float[]? queryVector = null;
            if (embedding is not null)
            {
                (queryVector, embeddingMs) = await embedding.ConfigureAwait(false);
                if (hasVectors)
                {
                    var vectorStarted = Stopwatch.GetTimestamp();
                    (vector, vectorIndexMs) = await _vectors.SearchTimedAsync(session, version, QueryModel, queryVector, depth, cancellationToken).ConfigureAwait(false);
                    vectorMs = Stopwatch.GetElapsedTime(vectorStarted).TotalMilliseconds;
                }
            }

            return new RetrievalCandidates
            {
                Vector = vector,
                Lexical = lexical,
                EmbeddingMs = embeddingMs,
                QueryVector = queryVector,
                LexicalMs = lexicalMs,
                VectorMs = vectorMs,
                LexicalIndexMs = lexicalIndexMs,
                VectorIndexMs = vectorIndexMs,
            };
        }
        catch when (embedding is not null)
        {
            // Let the embedding finish (and its failure be observed) before the error leaves.
            await ((Task)embedding).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            throw;
        }
    }

    private async Task<(float[] Vector, double Ms)> EmbedQueryAsync(string tenant, string query, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        if (QueryCache is { } cache && cache.TryGet(tenant, QueryModel, query, out var cached))
        {
            return (cached, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        GeneratedEmbeddings<Embedding<float>> generated;
        if (_embeddingSlots is { } slots)
        {
            await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            generated = await _embeddings.GenerateAsync([query], cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _embeddingSlots?.Release();
        }

        var vector = generated[0].Vector.ToArray();
        if (vector.Length != QueryModel.Dimensions)
        {
            throw new ConfigurationException($"the embedding model {QueryModel.Name} returned {vector.Length} dimensions instead of {QueryModel.Dimensions}: check the embedding settings");
        }

        var norm = TensorPrimitives.Norm(vector);
        if (!float.IsFinite(norm) || norm == 0f)
        {
            throw new ConfigurationException($"the embedding model {QueryModel.Name} returned a zero or non-finite vector for the query: check the embedding settings");
        }

        if (Math.Abs(norm - 1f) > 1e-4f)
        {
            TensorPrimitives.Divide(vector, norm, vector);
        }

        QueryCache?.Add(tenant, QueryModel, query, vector);
        return (vector, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>True when the caller sees vectors of the query model; throws when any visible vector is of another model.</summary>
    private async Task<bool> CheckModelsAsync(ISearchSession session, long version, CancellationToken cancellationToken)
    {
        var key = (session.Context.Tenant, session.Context.User);
        if (!_models.TryGetValue(key, out var entry) || entry.Version != version)
        {
            var models = await session.DistinctEmbeddingModelsAsync(cancellationToken).ConfigureAwait(false);
            if (_models.Count >= MaxModelEntries)
            {
                _models.Clear();
            }

            entry = (version, models);
            _models[key] = entry;
        }

        if (entry.Models.Count == 0)
        {
            return false;
        }

        if (entry.Models.Any(m => m != QueryModel))
        {
            // Rare (the model was changed and the tenant not yet re-embedded): count the chunks for the error's words.
            throw new EmbeddingModelMismatchException(session.Context.Tenant, QueryModel,
                await session.EmbeddingModelsAsync(cancellationToken).ConfigureAwait(false));
        }

        return true;
    }

    private static IEnumerable<(long Key, double Score)> Rank(RetrievalOptions options, IReadOnlyList<(long ChunkId, float Score)> vector, IReadOnlyList<(long ChunkId, float Score)> lexical) =>
        options.Retriever switch
        {
            RetrieverKind.Vector => vector.Select(h => (h.ChunkId, (double)h.Score)),
            RetrieverKind.Lexical => lexical.Select(h => (h.ChunkId, (double)h.Score)),
            _ => RankFusion.Fuse(
                [
                    ((IReadOnlyList<long>)[.. vector.Select(h => h.ChunkId)], options.VectorWeight),
                    ((IReadOnlyList<long>)[.. lexical.Select(h => h.ChunkId)], options.LexicalWeight),
                ],
                options.RrfK),
        };

    private static Dictionary<long, (int Rank, float Score)> RankMap(IEnumerable<(long ChunkId, float Score)> hits)
    {
        var map = new Dictionary<long, (int Rank, float Score)>();
        foreach (var (chunkId, score) in hits)
        {
            map.TryAdd(chunkId, (map.Count + 1, score));
        }

        return map;
    }

    internal static EmbeddingModel ModelOf(IEmbeddingGenerator<string, Embedding<float>> embeddings)
    {
        if ((embeddings as IEmbeddingModelInfo ?? embeddings.GetService(typeof(IEmbeddingModelInfo)) as IEmbeddingModelInfo) is { } info)
        {
            return new EmbeddingModel(info.ModelName, info.Dimensions);
        }

        if (embeddings.GetService(typeof(EmbeddingGeneratorMetadata)) is EmbeddingGeneratorMetadata { DefaultModelId: { Length: > 0 } id, DefaultModelDimensions: > 0 and var dimensions })
        {
            return new EmbeddingModel(id, dimensions);
        }

        throw new ConfigurationException("the embedding generator does not say its model name and dimensions (IEmbeddingModelInfo or EmbeddingGeneratorMetadata): set the embedding model and its dimensions in the embedding settings");
    }

    [LoggerMessage(EventId = 101, Level = LogLevel.Debug, Message = "Searched tenant {Tenant} ({Retriever}): {Hits} hits in {TotalMs:F1} ms (embedding {EmbeddingMs:F1}, lexical {LexicalMs:F1}, vector {VectorMs:F1})")]
    private partial void LogSearched(string tenant, string retriever, int hits, double totalMs, double embeddingMs, double lexicalMs, double vectorMs);
}
