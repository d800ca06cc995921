using System.Text.RegularExpressions;

namespace TenantRag.Postgres.Fleet;

/// <summary>
/// The name of a server of the fleet (<c>tenantrag server add</c>) or of a named embedded cluster
/// (<c>tenantrag db start --name</c>): <c>^[a-z][a-z0-9-]{0,30}$</c>, so it is safe in a file name and in SQL text.
/// </summary>
public static partial class ServerName
{
    /// <summary>The catalog's name of the installation's own server (the one holding the catalog).</summary>
    public const string Primary = "primary";

    /// <summary>Returns <paramref name="name"/> when valid; otherwise a usage error (exit 2) that says what a name may be.</summary>
    /// <param name="name">The name as given.</param>
    /// <param name="what">What is named ("server", "cluster"), for the message.</param>
    public static string Parse(string? name, string what)
    {
        if (!IsValid(name))
        {
            throw new UsageException($"invalid {what} name '{UsageException.Echo(name)}': use 1-31 characters of a-z, 0-9 and '-', starting with a letter");
        }

        return name;
    }

    /// <summary>Whether <paramref name="name"/> is a valid name (see <see cref="Parse"/>).</summary>
    public static bool IsValid([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? name) => name is not null && NameRegex().IsMatch(name);

    [GeneratedRegex(@"\A[a-z][a-z0-9-]{0,30}\z")]
    private static partial Regex NameRegex();
}
