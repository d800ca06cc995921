using System.Security.Claims;

namespace TenantRag.Server.Auth;

/// <summary>Scopes of a validated token: the space-separated <c>scope</c> claim (or <c>scp</c>).</summary>
internal static class Scopes
{
    public static IReadOnlyList<string> Of(ClaimsPrincipal user) =>
        [.. user.FindAll("scope").Concat(user.FindAll("scp"))
            .SelectMany(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Distinct(StringComparer.Ordinal)];
}
