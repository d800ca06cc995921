using TenantRag.Tenancy;

namespace TenantRag;

/// <summary>A tenant slug that does not match <see cref="TenantSlug.Pattern"/>.</summary>
public sealed class InvalidSlugException(string? slug)
    : UsageException($"invalid tenant slug '{Describe(slug)}': use 3-40 characters of a-z, 0-9 and '-', starting with a letter (e.g. acme-corp)")
{
    /// <summary>The rejected text.</summary>
    public string? Slug { get; } = slug;

    private static string Describe(string? slug)
    {
        if (slug is null)
        {
            return "(none)";
        }

        // Echo the input safely: a slug may hold control characters or be huge.
        var printable = new string([.. slug.Take(60).Select(c => char.IsControl(c) ? '?' : c)]);
        return slug.Length > 60 ? printable + "..." : printable;
    }
}
