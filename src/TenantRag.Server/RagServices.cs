using System.Diagnostics.Metrics;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TenantRag.Documents;
using TenantRag.Hosting;
using TenantRag.Retrieval;
using TenantRag.Rag.Embeddings;
using TenantRag.Rag.Generation;
using TenantRag.Rag.Ingestion;
using TenantRag.Rag.Ingestion.Pipeline;
using TenantRag.Rag.Retrieval;
using TenantRag.Rag.Retrieval.Search;

namespace TenantRag.Server;

/// <summary>The retrieval-augmented pipeline's services, over the installation's stores.</summary>
internal static class RagServices
{
    // One chunk per model run: on 2 cores two one-thread runs of one ~200-token chunk each embedded 34 chunks/s, of four
    // 33 (and the model alone, two threads and batches of 32, 28.5), and a run is the longest a search waits for a raised
    // upload thread (about 60 ms).
    private const int UploadBatchSize = 1;

    private static readonly int UploadThreads = Math.Clamp(Environment.ProcessorCount, 1, 8);

    /// <param name="services">The host's services.</param>
    /// <param name="setup">What the host set in code.</param>
    /// <param name="settings">The server's settings.</param>
    /// <param name="limits">The limits of one file.</param>
    /// <param name="idleTimeout">
    /// <c>Database:IdleTimeout</c>: a tenant's cached indexes and query vectors go when unused this long, as its pool does,
    /// so an idle tenant holds no memory and no connection.
    /// </param>
    public static void AddRag(this IServiceCollection services, TenantRagSetup setup, ServerOptions settings, IngestionOptions limits, TimeSpan idleTimeout)
    {
        var embeddings = setup.Embeddings;
        if (embeddings is null)
        {
            // One intra-op thread per run: a server's parallelism comes from concurrent searches, and ONNX Runtime runs
            // concurrent one-thread runs faster than two-thread ones (16 concurrent SciFact queries: 267-277 against
            // 229-246 a second on 2 cores; a lone query costs 7.4 ms instead of 7.0). Queries embed with int8 weights
            // by default (a SciFact query: 2.3 ms instead of 6.6), compared with the float vectors of uploads.
            services.AddSingleton<MiniLmEmbeddingGenerator>(sp => new MiniLmEmbeddingGenerator(
                new MiniLmEmbeddingGeneratorOptions { IntraOpNumThreads = 1, Precision = settings.QueryPrecision },
                sp.GetRequiredService<ILogger<MiniLmEmbeddingGenerator>>()));
            services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(sp => sp.GetRequiredService<MiniLmEmbeddingGenerator>());
            services.AddSingleton<ITokenCounter>(sp => sp.GetRequiredService<MiniLmEmbeddingGenerator>().Tokenizer);
        }
        else
        {
            services.AddSingleton(embeddings);
            services.AddSingleton<ITokenCounter>(embeddings.GetService<ITokenCounter>() ?? MiniLmTokenizer.LoadBundled());
        }

        // Uploads embed with a model instance of their own on threads at the lowest CPU priority (one per core, each running
        // one chunk at a time, so every idle core embeds while searches are quiet), with a pause after each chunk while
        // searches run, so a tenant's bulk ingestion takes the CPU time that queries leave idle, and never less than
        // Embeddings:MinUploadCpuShare of a core. Tenants take turns on it a few chunks at a time (the pipeline's fair gate):
        // one tenant's large upload does not hold up another's small one.
        var foreground = new ForegroundActivity();
        services.AddSingleton(sp =>
        {
            var uploads = embeddings ?? (setup.ForegroundUploads
                ? new MiniLmEmbeddingGenerator(logger: sp.GetRequiredService<ILogger<MiniLmEmbeddingGenerator>>())
                : LowPriorityUploads(sp, foreground, settings));

            // Chunking counts tokens with the upload model's own tokenizer: a tokenizer serves one caller at a time, and
            // sharing the query model's made searches wait while uploads were being chunked.
            var tokens = uploads.GetService<MiniLmTokenizer>() ?? sp.GetRequiredService<ITokenCounter>();
            var options = new IngestionPipelineOptions { Extraction = limits, MaxConcurrentExtractions = settings.GlobalIngestConcurrency };
            return new IngestionPipeline(sp.GetRequiredService<IDocumentRepository>(), uploads, tokens, options, sp.GetRequiredService<ILoggerFactory>());
        });
        services.AddSingleton(sp => new RetrievalIndexCache(new RetrievalIndexCacheOptions { IdleTimeout = idleTimeout }, sp.GetRequiredService<ILogger<RetrievalIndexCache>>()));

        // Large tenants' shared index partitions persisted, so a cold tenant's first search reads them in one row each;
        // rebuilt in the background after uploads and deletes (IngestionJobRunner, DocumentsApi) and after a load.
        services.AddSingleton(sp => new IndexSnapshots(sp.GetRequiredService<ISearchStore>(), sp.GetRequiredService<IIndexSnapshotStore>(),
            logger: sp.GetRequiredService<ILogger<IndexSnapshots>>()));
        services.AddSingleton<SearchServiceSlot>();
        services.AddSingleton(sp => sp.GetRequiredService<SearchServiceSlot>().Search = new SearchService(sp.GetRequiredService<ISearchStore>(),
            sp.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>(), sp.GetRequiredService<RetrievalIndexCache>(),
            new SearchServiceOptions { Foreground = foreground, MeterFactory = sp.GetService<IMeterFactory>(), IdleTimeout = idleTimeout, Snapshots = sp.GetRequiredService<IndexSnapshots>() },
            sp.GetRequiredService<ILogger<SearchService>>()));
        services.AddSingleton(sp =>
        {
            var endpoint = ChatEndpointOptions.FromEnvironment();
            IChatClient? chat = endpoint is null ? null : ChatEndpointClient.Create(endpoint);
            return new AnswerService(sp.GetRequiredService<SearchService>(), chat, logger: sp.GetRequiredService<ILogger<AnswerService>>());
        });
    }

    // The server's upload model: one-thread runs of the model on idle-priority threads that step back for searches.
    private static LowPriorityEmbeddingGenerator LowPriorityUploads(IServiceProvider sp, ForegroundActivity foreground, ServerOptions settings) => new(
        new MiniLmEmbeddingGenerator(new MiniLmEmbeddingGeneratorOptions { IntraOpNumThreads = 1 }, sp.GetRequiredService<ILogger<MiniLmEmbeddingGenerator>>()),
        new LowPriorityEmbeddingGeneratorOptions
        {
            BatchSize = UploadBatchSize,
            Worker = new LowPriorityWorkerOptions
            {
                Threads = UploadThreads, Foreground = foreground, IdleCpuGroup = settings.IdleCgroup, MinCpuShare = settings.MinUploadCpuShare,
            },
        },
        sp.GetRequiredService<ILogger<LowPriorityEmbeddingGenerator>>());
}
