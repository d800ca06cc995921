using System.Net.Http.Headers;
using TenantRag.Server.Auth;

namespace TenantRag.Server.Tests;

/// <summary>How long a JWKS response may be used, read from its cache headers, and kept within the configured bounds.</summary>
public sealed class JwksCacheLifetimeTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Min = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan Max = TimeSpan.FromHours(1);

    [Theory]
    [InlineData("max-age=600", null, null, null, 600)]
    [InlineData("public, max-age=600, must-revalidate", null, null, null, 600)]
    [InlineData("max-age=600", null, null, 100, 500)]
    [InlineData("max-age=600", "2026-01-01T12:30:00Z", null, null, 600)]
    [InlineData(null, "2026-01-01T12:20:00Z", null, null, 1200)]
    [InlineData(null, "2026-01-01T12:20:00Z", "2026-01-01T12:10:00Z", null, 600)]
    [InlineData(null, "2026-01-01T12:20:00Z", null, 300, 900)]
    [InlineData(null, "2026-01-01T11:00:00Z", null, null, 0)]
    [InlineData("no-store", null, null, null, 0)]
    [InlineData("no-cache", null, null, null, 0)]
    [InlineData("max-age=60", null, null, 120, 0)]
    public void Of_CacheHeaders_GiveTheFreshnessLifetime(string? cacheControl, string? expires, string? date, int? age, int expectedSeconds)
    {
        using var response = Response(cacheControl, expires, date, age);

        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), JwksCacheLifetime.Of(response, Now));
    }

    [Fact]
    public void Of_NoCacheHeaders_IsUnknown()
    {
        using var response = Response(null, null, null, null);

        Assert.Null(JwksCacheLifetime.Of(response, Now));
    }

    [Fact]
    public void Of_UnreadableExpires_HasAlreadyPassed()
    {
        using var response = Response(null, null, null, null);
        response.Content.Headers.TryAddWithoutValidation("Expires", "0");

        Assert.Equal(TimeSpan.Zero, JwksCacheLifetime.Of(response, Now));
    }

    [Theory]
    [InlineData(null, 3600)]
    [InlineData(0, 300)]
    [InlineData(60, 300)]
    [InlineData(900, 900)]
    [InlineData(86_400 * 365, 3600)]
    public void Bound_KeepsTheLifetimeWithinTheSettings_MaxWhenUnknown(int? seconds, int expectedSeconds)
    {
        var lifetime = seconds is { } s ? TimeSpan.FromSeconds(s) : (TimeSpan?)null;

        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), JwksCacheLifetime.Bound(lifetime, Min, Max));
    }

    private static HttpResponseMessage Response(string? cacheControl, string? expires, string? date, int? age)
    {
        var response = new HttpResponseMessage { Content = new StringContent("""{"keys":[]}""") };
        if (cacheControl is not null)
        {
            response.Headers.CacheControl = CacheControlHeaderValue.Parse(cacheControl);
        }

        if (expires is not null)
        {
            response.Content.Headers.Expires = DateTimeOffset.Parse(expires, System.Globalization.CultureInfo.InvariantCulture);
        }

        if (date is not null)
        {
            response.Headers.Date = DateTimeOffset.Parse(date, System.Globalization.CultureInfo.InvariantCulture);
        }

        if (age is { } a)
        {
            response.Headers.Age = TimeSpan.FromSeconds(a);
        }

        return response;
    }
}
