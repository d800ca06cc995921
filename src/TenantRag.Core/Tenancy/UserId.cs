using System.Diagnostics.CodeAnalysis;

namespace TenantRag.Tenancy;

/// <summary>
/// A user inside a tenant (the JWT <c>sub</c> claim). 1 to 128 characters, no control characters,
/// no leading or trailing whitespace.
/// </summary>
public readonly record struct UserId
{
    /// <summary>Longest accepted user id.</summary>
    public const int MaxLength = 128;

    private UserId(string value) => Value = value;

    /// <summary>The user id text.</summary>
    public string Value { get; }

    /// <summary>Parses a user id or throws <see cref="UsageException"/> naming the problem.</summary>
    public static UserId Parse(string? value) => TryParse(value, out var id, out var reason)
        ? id
        : throw new UsageException($"invalid user id: {reason}");

    /// <summary>Parses a user id without throwing; <paramref name="reason"/> says what is wrong.</summary>
    public static bool TryParse([NotNullWhen(true)] string? value, out UserId id, out string reason)
    {
        id = default;
        if (string.IsNullOrEmpty(value))
        {
            reason = "it is empty";
            return false;
        }

        if (value.Length > MaxLength)
        {
            reason = $"it is {value.Length} characters long (at most {MaxLength})";
            return false;
        }

        if (value.Any(char.IsControl) || value.Trim().Length != value.Length)
        {
            reason = "it contains control characters or surrounding whitespace";
            return false;
        }

        reason = string.Empty;
        id = new UserId(value);
        return true;
    }

    /// <inheritdoc />
    public override string ToString() => Value ?? string.Empty;
}
