using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using TenantRag.Tenancy;

namespace TenantRag.Server.Limits;

/// <summary>
/// Noisy neighbours: a token bucket per tenant on every <c>/v1</c> request, and a concurrency limit per tenant on
/// uploads, so one tenant's bulk ingestion cannot starve another tenant's queries. Over the limit: 429 with
/// <c>Retry-After</c>.
/// </summary>
internal static class RateLimitSetup
{
    public const string IngestPolicy = "ingest";

    // The options have passed ServerOptions.Validate (every limit 1 or more), so they are used as they are.
    public static void AddTenantRateLimits(this IServiceCollection services, ServerOptions options)
    {
        services.AddRateLimiter(limiter =>
        {
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
                http.Features.Get<TenantContext>() is { } tenant
                    ? RateLimitPartition.GetTokenBucketLimiter(tenant.Tenant.Value, _ => new TokenBucketRateLimiterOptions
                    {
                        TokenLimit = options.Burst,
                        TokensPerPeriod = options.RequestsPerSecond,
                        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                        QueueLimit = 0,
                        AutoReplenishment = true,
                    })
                    : RateLimitPartition.GetNoLimiter(string.Empty));

            limiter.AddPolicy(IngestPolicy, http => http.Features.Get<TenantContext>() is { } tenant
                ? RateLimitPartition.GetConcurrencyLimiter(tenant.Tenant.Value, _ => new ConcurrencyLimiterOptions
                {
                    PermitLimit = options.IngestConcurrency,
                    QueueLimit = options.IngestConcurrency * 2,
                    QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                })
                : RateLimitPartition.GetNoLimiter(string.Empty));

            limiter.OnRejected = async (context, cancellationToken) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 1;
                context.HttpContext.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
                await Problems.WriteAsync(context.HttpContext, StatusCodes.Status429TooManyRequests, "Too many requests",
                    $"this tenant is over its request limit; retry after {retryAfter} s").ConfigureAwait(false);
            };
        });
    }
}
