using System.Text.RegularExpressions;

namespace TenantRag.Postgres.Installation;

/// <summary>
/// Identifiers and literals for the few statements that cannot take parameters (CREATE DATABASE, CREATE ROLE, GRANT).
/// Names are validated against a strict pattern and then quoted; nothing from outside reaches SQL any other way.
/// </summary>
internal static partial class Sql
{
    /// <summary>A validated, double-quoted identifier.</summary>
    public static string Identifier(string name) =>
        IdentifierRegex().IsMatch(name)
            ? "\"" + name + "\""
            : throw new ArgumentException($"'{name}' is not a valid identifier here (lowercase letters, digits and '_', at most 63 characters)", nameof(name));

    /// <summary>A single-quoted literal for generated secrets (base64url characters only).</summary>
    public static string SecretLiteral(string secret) =>
        SecretRegex().IsMatch(secret)
            ? "'" + secret + "'"
            : throw new ArgumentException("a generated secret holds unexpected characters", nameof(secret));

    [GeneratedRegex(@"\A[a-z_][a-z0-9_]{0,62}\z")]
    private static partial Regex IdentifierRegex();

    [GeneratedRegex(@"\A[A-Za-z0-9_=-]{16,128}\z")]
    private static partial Regex SecretRegex();
}
