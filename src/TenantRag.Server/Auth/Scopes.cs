using System.Security.Claims;

namespace TenantRag.Server.Auth;

/// <summary>
/// Scopes of a validated token: the space-separated <c>scope</c> claim (or <c>scp</c>). A scope token outside
/// RFC 6749's character set (printable ASCII but space, <c>"</c> and <c>\</c>) is ignored: no scope of ours looks like
/// that, and such text (NUL above all) must not travel on into the session's claims.
/// </summary>
internal static class Scopes
{
    public static IReadOnlyList<string> Of(ClaimsPrincipal user) =>
        [.. user.FindAll("scope").Concat(user.FindAll("scp"))
            .SelectMany(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Where(IsScopeToken)
            .Distinct(StringComparer.Ordinal)];

    private static bool IsScopeToken(string scope) => scope.All(c => c is >= '!' and <= '~' and not ('"' or '\\'));
}
