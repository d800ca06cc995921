using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.AI;
using TenantRag.Rag.Embeddings;
using TenantRag.Rag.Retrieval.Search;

namespace TenantRag.Cli.Commands;

/// <summary>The server's query-embedding cache as <c>tenantrag bench api</c> reports it: on or off, and hit counts.</summary>
internal sealed record BenchApiQueryCache(bool Enabled, int Capacity, long Hits, long Misses, int Count, long Batches = 0, long BatchedTexts = 0)
{
    /// <summary>The cache of the server's <see cref="SearchService"/> now.</summary>
    public static BenchApiQueryCache Read(IServiceProvider services)
    {
        var search = services.GetRequiredService<SearchService>();
        var (batches, texts) = search.Embeddings.GetService<BatchingEmbeddingGenerator>()?.Statistics ?? (0, 0);
        if (search.QueryCache is not { } cache)
        {
            return new BenchApiQueryCache(false, 0, 0, 0, 0, batches, texts);
        }

        var (hits, misses, count) = cache.Statistics;
        return new BenchApiQueryCache(true, cache.Capacity, hits, misses, count, batches, texts);
    }

    /// <summary>Lookups between <paramref name="earlier"/> and this reading.</summary>
    public BenchApiQueryCache Since(BenchApiQueryCache earlier) => this with
    {
        Hits = Hits - earlier.Hits,
        Misses = Misses - earlier.Misses,
        Batches = Batches - earlier.Batches,
        BatchedTexts = BatchedTexts - earlier.BatchedTexts,
    };

    public string Describe() => Enabled
        ? string.Create(CultureInfo.InvariantCulture, $"on (at most {Capacity} query vectors, keyed by model and query text, shared by tenants; results never cached)")
        : "off (every query is embedded)";

    public string DescribeCounts()
    {
        if (!Enabled)
        {
            return "off";
        }

        var lookups = Hits + Misses;
        var batching = Batches > 0
            ? string.Create(CultureInfo.InvariantCulture, $"; misses embedded in {Batches} batches of {(double)BatchedTexts / Batches:F1} on average")
            : string.Empty;
        return string.Create(CultureInfo.InvariantCulture,
            $"{Hits} hits, {Misses} misses ({(lookups > 0 ? 100.0 * Hits / lookups : 0):F1}% hits), {Count} vectors held{batching}");
    }
}
