using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using TenantRag.Rag.Retrieval.Search;

namespace TenantRag.Lab;

/// <summary>The server's query-embedding cache as <c>tenantrag bench api</c> reports it: on or off, and hit counts.</summary>
internal sealed record BenchApiQueryCache(bool Enabled, long Capacity, long Hits, long Misses, int Count)
{
    /// <summary>The cache of the server's <see cref="SearchService"/> now.</summary>
    public static BenchApiQueryCache Read(IServiceProvider services)
    {
        var cache = services.GetRequiredService<SearchService>().QueryCache;
        if (cache is null)
        {
            return new BenchApiQueryCache(false, 0, 0, 0, 0);
        }

        var (hits, misses, count) = cache.Statistics;
        return new BenchApiQueryCache(true, cache.CapacityBytes, hits, misses, count);
    }

    /// <summary>Lookups between <paramref name="earlier"/> and this reading.</summary>
    public BenchApiQueryCache Since(BenchApiQueryCache earlier) => this with { Hits = Hits - earlier.Hits, Misses = Misses - earlier.Misses };

    public string Describe() => Enabled
        ? string.Create(CultureInfo.InvariantCulture, $"on (at most {Capacity} bytes of query vectors, keyed by tenant, model and query text; results never cached)")
        : "off (every query is embedded)";

    public string DescribeCounts()
    {
        if (!Enabled)
        {
            return "off";
        }

        var lookups = Hits + Misses;
        return string.Create(CultureInfo.InvariantCulture,
            $"{Hits} hits, {Misses} misses ({(lookups > 0 ? 100.0 * Hits / lookups : 0):F1}% hits), {Count} vectors held");
    }
}
