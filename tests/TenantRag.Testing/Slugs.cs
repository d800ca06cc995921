using System.Security.Cryptography;
using TenantRag.Tenancy;

namespace TenantRag.Testing;

/// <summary>Tenant slugs that no other test (or earlier run against the same server) uses.</summary>
public static class Slugs
{
    /// <summary>Text form: <paramref name="stem"/> + '-' + 6 random lowercase letters, e.g. <c>acme-qhzkra</c>.</summary>
    public static string UniqueText(string stem) => $"{stem}-{RandomLetters(6)}";

    /// <summary>A parsed unique slug, e.g. <c>acme-qhzkra</c>.</summary>
    public static TenantSlug Unique(string stem) => TenantSlug.Parse(UniqueText(stem));

    /// <summary><paramref name="count"/> random letters a-z.</summary>
    public static string RandomLetters(int count) => RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz", count);
}
