using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace TenantRag.Server.Tests.Hostile;

/// <summary>
/// HTTP/1.1 over a bare socket, for requests HttpClient refuses to send: header values with CR, LF, NUL or raw
/// non-ASCII bytes. One request per connection (<c>Connection: close</c>); the answer is read to the end.
/// </summary>
internal static class RawHttp
{
    public sealed record Response(int Status, string? ContentType, string Body);

    /// <summary>Sends <c>GET <paramref name="path"/></c> with the header lines given as raw bytes.</summary>
    public static async Task<Response> GetAsync(Uri server, string path, params byte[][] headerLines)
    {
        using var client = new TcpClient();
        var ct = TestContext.Current.CancellationToken;
        await client.ConnectAsync(server.Host, server.Port, ct);
        var stream = client.GetStream();
        var request = new List<byte>();
        request.AddRange(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: {server.Authority}\r\nConnection: close\r\n"));
        foreach (var line in headerLines)
        {
            request.AddRange(line);
            request.AddRange("\r\n"u8.ToArray());
        }

        request.AddRange("\r\n"u8.ToArray());
        try
        {
            await stream.WriteAsync(request.ToArray(), ct);
        }
        catch (IOException)
        {
            // The server may refuse and close before reading a huge request to the end; its answer is still there.
        }

        using var answer = new MemoryStream();
        try
        {
            await stream.CopyToAsync(answer, ct);
        }
        catch (IOException) when (answer.Length > 0)
        {
            // Reset after the answer was sent.
        }

        return Parse(Encoding.UTF8.GetString(answer.ToArray()));
    }

    private static Response Parse(string raw)
    {
        var headerEnd = raw.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var head = headerEnd < 0 ? raw : raw[..headerEnd];
        var lines = head.Split("\r\n");
        var status = lines.Length > 0 && lines[0].Split(' ') is [_, var code, ..] ? int.Parse(code, CultureInfo.InvariantCulture) : 0;
        var contentType = lines.Skip(1).Select(l => l.Split(':', 2)).Where(p => p.Length == 2 && p[0].Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
            .Select(p => p[1].Trim().Split(';')[0]).FirstOrDefault();
        var body = headerEnd < 0 ? string.Empty : raw[(headerEnd + 4)..];
        return new Response(status, contentType, body);
    }
}
