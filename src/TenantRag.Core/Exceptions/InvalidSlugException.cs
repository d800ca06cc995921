using TenantRag.Tenancy;

namespace TenantRag;

/// <summary>A tenant slug that does not match <see cref="TenantSlug.Pattern"/>.</summary>
public sealed class InvalidSlugException(string? slug)
    : UsageException($"invalid tenant slug '{Echo(slug)}': use 3-40 characters of a-z, 0-9 and '-', starting with a letter (e.g. acme-corp)")
{
    /// <summary>The rejected text.</summary>
    public string? Slug { get; } = slug;
}
