using System.Globalization;

namespace TenantRag.Postgres.Usage;

/// <summary>The first day of a usage report, as given on the command line (<c>--since</c>) or in a query string (<c>since</c>).</summary>
public static class UsageDates
{
    /// <summary>
    /// <paramref name="text"/> as a UTC day written <c>yyyy-mm-dd</c>; null when none is given. Anything else is refused
    /// with <see cref="UsageException"/>, naming <paramref name="name"/>.
    /// </summary>
    public static DateOnly? ParseSince(string? text, string name)
    {
        if (text is null)
        {
            return null;
        }

        return DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
            ? day
            : throw new UsageException($"{name} must be a day written yyyy-mm-dd (UTC), like 2026-01-31, not '{UsageException.Echo(text)}'");
    }
}
