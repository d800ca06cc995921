using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace TenantRag.Server.Auth;

/// <summary>
/// Decides whether a request to <c>/auth/dev-token</c> comes straight from a developer at this machine. Loopback
/// alone is not enough: a reverse proxy on the same host (nginx, Caddy) connects from loopback on behalf of anyone,
/// and a page under a foreign name that resolves to 127.0.0.1 (DNS rebinding) reaches the server from the developer's
/// own browser. So the request must also carry no proxy header, name a loopback host, come from a loopback origin if
/// a browser sent it, and speak HTTP/1.1 or later (nginx speaks HTTP/1.0 upstream unless told otherwise). A proxy that
/// hides every trace of itself (a plain TCP relay) still cannot be told apart: that is why the development issuer is
/// off unless chosen (<c>--dev-auth</c>).
/// </summary>
internal static partial class DevelopmentSignIn
{
    // What proxies and CDNs add to say who the client was; any of them means the connection is not the client's own.
    private static readonly string[] ProxyHeaders =
    [
        "Forwarded", "Via", "X-Real-IP", "X-Client-IP", "Client-IP", "True-Client-IP", "CF-Connecting-IP", "Fastly-Client-IP",
        "X-Cluster-Client-IP", "X-ProxyUser-Ip", "X-Envoy-External-Address",
    ];

    private static readonly string[] ProxyHeaderPrefixes = ["X-Forwarded-", "X-Original-"];

    /// <summary>Why <paramref name="request"/> may not sign in, or null when it may.</summary>
    public static string? Refusal(HttpRequest request)
    {
        if (request.HttpContext.Connection.RemoteIpAddress is not { } remote || !IPAddress.IsLoopback(remote))
        {
            return "development sign-in is only available from this machine";
        }

        foreach (var name in request.Headers.Keys)
        {
            if (ProxyHeaders.Contains(name, StringComparer.OrdinalIgnoreCase)
                || ProxyHeaderPrefixes.Any(p => name.StartsWith(p, StringComparison.OrdinalIgnoreCase)))
            {
                return $"the request came through a proxy (header {UsageException.Echo(name)}): development sign-in answers direct requests from this machine only";
            }
        }

        if (!HttpProtocol.IsHttp11(request.Protocol) && !HttpProtocol.IsHttp2(request.Protocol) && !HttpProtocol.IsHttp3(request.Protocol))
        {
            return "the request is HTTP/1.0, as a proxy sends it: development sign-in needs HTTP/1.1 or later straight from this machine";
        }

        if (request.Headers.Host.Count != 1 || !LoopbackHost().IsMatch(request.Headers.Host[0] ?? string.Empty))
        {
            return $"the request names the host '{UsageException.Echo(request.Headers.Host.ToString())}': development sign-in answers only localhost, 127.0.0.1 or [::1]";
        }

        if (request.Headers.Origin.Count > 0 && (request.Headers.Origin.Count != 1 || !LoopbackOrigin().IsMatch(request.Headers.Origin[0] ?? string.Empty)))
        {
            return $"the request comes from the page origin '{UsageException.Echo(request.Headers.Origin.ToString())}': development sign-in answers only pages on localhost, 127.0.0.1 or [::1]";
        }

        return null;
    }

    [GeneratedRegex(@"\A(?:localhost|127\.0\.0\.1|\[::1\])(?::[0-9]{1,5})?\z", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex LoopbackHost();

    [GeneratedRegex(@"\Ahttps?://(?:localhost|127\.0\.0\.1|\[::1\])(?::[0-9]{1,5})?\z", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex LoopbackOrigin();
}
