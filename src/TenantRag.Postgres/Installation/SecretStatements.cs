using System.Text.RegularExpressions;

namespace TenantRag.Postgres.Installation;

/// <summary>
/// Recognises the statements that carry a generated password in their text (<c>CREATE ROLE</c> and <c>ALTER ROLE</c> with
/// <c>PASSWORD '...'</c>: utility statements take no parameters), so that logs and traces can leave their text out.
/// Every other statement holds parameters, never values, and may be shown.
/// </summary>
public static partial class SecretStatements
{
    /// <summary>What stands in a trace instead of such a statement's text.</summary>
    public const string Redacted = "[redacted: the statement carries a password]";

    /// <summary>Whether <paramref name="commandText"/> holds a password literal.</summary>
    public static bool Carries(string? commandText) => commandText is not null && PasswordLiteral().IsMatch(commandText);

    // PASSWORD 'x', PASSWORD E'x' (any case, any white space between): the form Sql.SecretLiteral writes, and then some.
    [GeneratedRegex(@"\bPASSWORD\s+E?'", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex PasswordLiteral();
}
