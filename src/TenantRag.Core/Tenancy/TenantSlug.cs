using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace TenantRag.Tenancy;

/// <summary>
/// A tenant's identifier: lowercase, starts with a letter, 3 to 40 characters of <c>a-z</c>, <c>0-9</c> and <c>-</c>.
/// It is validated once, at the edge, and is then safe to use in database and role names.
/// </summary>
public readonly partial record struct TenantSlug
{
    /// <summary>The pattern every slug matches.</summary>
    public const string Pattern = "^[a-z][a-z0-9-]{2,39}$";

    private TenantSlug(string value) => Value = value;

    /// <summary>The slug text.</summary>
    public string Value { get; }

    /// <summary>Parses a slug or throws <see cref="InvalidSlugException"/> with the reason.</summary>
    public static TenantSlug Parse(string? value) =>
        TryParse(value, out var slug) ? slug : throw new InvalidSlugException(value);

    /// <summary>Parses a slug without throwing.</summary>
    public static bool TryParse([NotNullWhen(true)] string? value, out TenantSlug slug)
    {
        if (value is not null && SlugRegex().IsMatch(value))
        {
            slug = new TenantSlug(value);
            return true;
        }

        slug = default;
        return false;
    }

    /// <summary>The slug with <c>-</c> replaced by <c>_</c>, for use inside SQL identifiers (injective: slugs never contain <c>_</c>).</summary>
    public string IdentifierPart => Value.Replace('-', '_');

    /// <inheritdoc />
    public override string ToString() => Value ?? string.Empty;

    // \z, not $: in .NET, $ also matches before a final newline, and "acme\n" must not pass.
    [GeneratedRegex(@"\A[a-z][a-z0-9-]{2,39}\z", RegexOptions.CultureInvariant)]
    private static partial Regex SlugRegex();
}
