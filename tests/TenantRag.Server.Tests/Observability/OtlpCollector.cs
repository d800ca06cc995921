using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace TenantRag.Server.Tests.Observability;

/// <summary>
/// A stand-in OpenTelemetry collector speaking OTLP/HTTP (http/protobuf) on a free loopback port: it answers
/// <c>POST /v1/traces</c> and <c>POST /v1/metrics</c> with 200 and keeps the raw request bodies. It decodes nothing: the
/// tests look for strings in the bytes (protobuf keeps strings as they are). An <see cref="HttpListener"/>, not Kestrel,
/// so that receiving an export makes no span to export again.
/// </summary>
internal sealed class OtlpCollector : IAsyncDisposable
{
    private readonly HttpListener _listener;
    private readonly ConcurrentQueue<(string Path, byte[] Body)> _received = new();
    private readonly Task _loop;

    private OtlpCollector(HttpListener listener, string url)
    {
        _listener = listener;
        Url = url;
        _loop = Task.Run(ServeAsync);
    }

    /// <summary>The base address, as <c>Telemetry:OtlpEndpoint</c> takes it.</summary>
    public string Url { get; }

    public static OtlpCollector Start()
    {
        for (var attempt = 0; ; attempt++)
        {
            // A port the system just had free; another process may take it before the listener does, so try again then.
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            var listener = new HttpListener();
            var url = $"http://127.0.0.1:{port}";
            listener.Prefixes.Add(url + "/");
            try
            {
                listener.Start();
                return new OtlpCollector(listener, url);
            }
            catch (HttpListenerException) when (attempt < 5)
            {
                listener.Close();
            }
        }
    }

    /// <summary>Every body posted to <paramref name="path"/> so far, one after the other.</summary>
    public byte[] Received(string path) => [.. _received.Where(r => r.Path == path).SelectMany(r => r.Body)];

    /// <summary>Whether anything posted to <paramref name="path"/> holds <paramref name="text"/> (UTF-8).</summary>
    public bool Contains(string path, string text) => Received(path).AsSpan().IndexOf(Encoding.UTF8.GetBytes(text)) >= 0;

    /// <summary>How many exports arrived at <paramref name="path"/>.</summary>
    public int Count(string path) => _received.Count(r => r.Path == path);

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _listener.Close();
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            var path = context.Request.Url!.AbsolutePath;
            var known = context.Request.HttpMethod == "POST" && path is "/v1/traces" or "/v1/metrics";
            if (known)
            {
                _received.Enqueue((path, body.ToArray()));
            }

            // An empty Export*ServiceResponse: everything accepted.
            context.Response.StatusCode = known ? 200 : 404;
            context.Response.ContentType = "application/x-protobuf";
            context.Response.Close();
        }
    }
}
