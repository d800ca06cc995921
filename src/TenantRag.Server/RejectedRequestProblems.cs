using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace TenantRag.Server;

/// <summary>
/// Gives the requests Kestrel refuses itself, before any middleware runs (a request line or header block over its
/// limits, malformed, or too slow), a problem document like every other error. Kestrel offers no hook for those
/// answers: it writes <c>431 Request Header Fields Too Large</c> (or 400, 408, 414) with <c>Content-Length: 0</c> and
/// closes the connection. A connection middleware watches the start of every response Kestrel writes (a few bytes
/// compared, nothing copied) and replaces exactly such an answer with the same status and headers plus an
/// <c>application/problem+json</c> body. Over TLS the middleware sits outside the encryption and leaves the bytes alone.
/// </summary>
internal static class RejectedRequestProblems
{
    /// <summary>Adds the middleware to <paramref name="listen"/>, describing the limits in <paramref name="limits"/>.</summary>
    public static void Use(ListenOptions listen, KestrelServerLimits limits)
    {
        var bodies = Bodies(limits);
        listen.Use(next => connection =>
        {
            connection.Transport = new Transport(connection.Transport.Input, new ProblemBodyPipeWriter(connection.Transport.Output, bodies));
            return next(connection);
        });
    }

    /// <summary>The problem document for each status Kestrel refuses requests with, as UTF-8 JSON.</summary>
    private static Dictionary<int, byte[]> Bodies(KestrelServerLimits limits)
    {
        var headers = $"{limits.MaxRequestHeadersTotalSize / 1024} KiB and {limits.MaxRequestHeaderCount} headers";
        return new Dictionary<int, byte[]>
        {
            [StatusCodes.Status400BadRequest] = Problem(StatusCodes.Status400BadRequest, "Bad request", "https://tools.ietf.org/html/rfc9110#section-15.5.1",
                "the request line or a header is malformed (e.g. a control character in a header value): it was refused before it reached the application"),
            [StatusCodes.Status408RequestTimeout] = Problem(StatusCodes.Status408RequestTimeout, "Request timeout", "https://tools.ietf.org/html/rfc9110#section-15.5.9",
                "the request headers did not arrive in time"),
            [StatusCodes.Status414UriTooLong] = Problem(StatusCodes.Status414UriTooLong, "URI too long", "https://tools.ietf.org/html/rfc9110#section-15.5.15",
                $"the request line is longer than the {limits.MaxRequestLineSize / 1024} KiB the server accepts: shorten the path or query string"),
            [StatusCodes.Status431RequestHeaderFieldsTooLarge] = Problem(StatusCodes.Status431RequestHeaderFieldsTooLarge, "Request headers too large", "https://tools.ietf.org/html/rfc6585#section-5",
                $"the request headers are larger than the server accepts (at most {headers} in all): send a shorter token or fewer headers"),
        };
    }

    private static byte[] Problem(int status, string title, string type, string detail) =>
        JsonSerializer.SerializeToUtf8Bytes(new { type, title, status, detail });

    private sealed class Transport(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }

    /// <summary>Builds the replacement for a refusal Kestrel wrote; null when <paramref name="response"/> is anything else.</summary>
    internal static byte[]? Replace(ReadOnlySpan<byte> response, IReadOnlyDictionary<int, byte[]> bodies)
    {
        // Kestrel's refusal: "HTTP/1.1 431 Reason\r\n", headers with Content-Length: 0 and Connection: close, "\r\n\r\n", no body.
        var text = Encoding.Latin1.GetString(response);
        if (!text.EndsWith("\r\n\r\n", StringComparison.Ordinal) || text.Length < 13
            || !int.TryParse(text.AsSpan(9, 3), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var status)
            || !bodies.TryGetValue(status, out var body))
        {
            return null;
        }

        var lines = text[..^4].Split("\r\n");
        var headers = lines.Skip(1).ToList();
        if (!headers.Contains("Content-Length: 0", StringComparer.OrdinalIgnoreCase) || !headers.Contains("Connection: close", StringComparer.OrdinalIgnoreCase))
        {
            return null;
        }

        var head = new StringBuilder(lines[0]).Append("\r\n");
        foreach (var header in headers.Where(h => !h.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)))
        {
            head.Append(header).Append("\r\n");
        }

        head.Append("Content-Type: application/problem+json\r\nContent-Length: ").Append(body.Length).Append("\r\n\r\n");
        return [.. Encoding.Latin1.GetBytes(head.ToString()), .. body];
    }
}
