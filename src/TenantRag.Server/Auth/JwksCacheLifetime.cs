namespace TenantRag.Server.Auth;

/// <summary>
/// How long a JWKS response may be used, as its cache headers say (RFC 9111 4.2.1): <c>no-store</c> or <c>no-cache</c>
/// say not at all, <c>max-age</c> wins over <c>Expires</c> (less <c>Date</c>; an unreadable <c>Expires</c> has already
/// passed), and the <c>Age</c> a cache on the way reports is taken off. <c>s-maxage</c> is for shared caches, which
/// this is not.
/// </summary>
internal static class JwksCacheLifetime
{
    /// <summary>The freshness lifetime of <paramref name="response"/>; null when it carries no cache header.</summary>
    public static TimeSpan? Of(HttpResponseMessage response, DateTimeOffset now)
    {
        var cacheControl = response.Headers.CacheControl;
        if (cacheControl is { NoStore: true } or { NoCache: true })
        {
            return TimeSpan.Zero;
        }

        TimeSpan lifetime;
        if (cacheControl?.MaxAge is { } maxAge)
        {
            lifetime = maxAge;
        }
        else if (response.Content.Headers.Expires is { } expires)
        {
            lifetime = expires - (response.Headers.Date ?? now);
        }
        else if (response.Content.Headers.Contains("Expires"))
        {
            return TimeSpan.Zero;
        }
        else
        {
            return null;
        }

        lifetime -= response.Headers.Age ?? TimeSpan.Zero;
        return lifetime > TimeSpan.Zero ? lifetime : TimeSpan.Zero;
    }

    /// <summary><paramref name="lifetime"/> within <paramref name="min"/> and <paramref name="max"/>; <paramref name="max"/> when unknown.</summary>
    public static TimeSpan Bound(TimeSpan? lifetime, TimeSpan min, TimeSpan max) =>
        lifetime is not { } value ? max : value < min ? min : value > max ? max : value;
}
