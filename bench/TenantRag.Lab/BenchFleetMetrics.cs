using System.Buffers.Binary;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace TenantRag.Lab;

/// <summary>
/// The serve process's own metrics, as it exports them to a collector over OTLP/HTTP (<c>Telemetry:OtlpEndpoint</c>,
/// the product's metrics path): a stand-in collector on a loopback port that keeps the last value of each gauge it
/// receives. It decodes just enough of <c>ExportMetricsServiceRequest</c> (protobuf) for that: resource metrics →
/// scope metrics → metric (name, gauge) → number data points.
/// </summary>
internal sealed class BenchFleetMetrics : IAsyncDisposable
{
    private readonly HttpListener _listener;
    private readonly Task _loop;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, long> _gauges = new(StringComparer.Ordinal);
    private long _exports;

    private BenchFleetMetrics(HttpListener listener, string url)
    {
        _listener = listener;
        Url = url;
        _loop = Task.Run(ServeAsync);
    }

    /// <summary>The base address, as <c>TenantRag:Telemetry:OtlpEndpoint</c> takes it.</summary>
    public string Url { get; }

    /// <summary>Metric exports received so far.</summary>
    public long Exports => Interlocked.Read(ref _exports);

    public static BenchFleetMetrics Start()
    {
        for (var attempt = 0; ; attempt++)
        {
            // A port the system just had free; another process may take it first, so try again then.
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
                return new BenchFleetMetrics(listener, url);
            }
            catch (HttpListenerException) when (attempt < 5)
            {
                listener.Close();
            }
        }
    }

    /// <summary>The last value of gauge <paramref name="name"/>, or null when none arrived yet.</summary>
    public long? Gauge(string name)
    {
        lock (_gate)
        {
            return _gauges.TryGetValue(name, out var value) ? value : null;
        }
    }

    /// <summary>Waits for <paramref name="count"/> more exports (values taken after now), at most <paramref name="patience"/>.</summary>
    public async Task<bool> WaitForExportsAsync(int count, TimeSpan patience, CancellationToken cancellationToken)
    {
        var target = Exports + count;
        var deadline = DateTime.UtcNow + patience;
        while (Exports < target)
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

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
                context = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            try
            {
                var path = context.Request.Url?.AbsolutePath;
                if (context.Request.HttpMethod == "POST" && path == "/v1/metrics")
                {
                    using var body = new MemoryStream();
                    var input = string.Equals(context.Request.Headers["Content-Encoding"], "gzip", StringComparison.OrdinalIgnoreCase)
                        ? new GZipStream(context.Request.InputStream, CompressionMode.Decompress)
                        : context.Request.InputStream;
                    await input.CopyToAsync(body).ConfigureAwait(false);
                    Read(body.ToArray());
                    Interlocked.Increment(ref _exports);
                }

                // An empty Export*ServiceResponse: everything accepted (traces, if any arrive, are dropped).
                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/x-protobuf";
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException or HttpListenerException)
            {
                context.Response.StatusCode = 400;
            }

            context.Response.Close();
        }
    }

    private void Read(ReadOnlyMemory<byte> request)
    {
        foreach (var resource in Messages(request, 1))
        {
            foreach (var scope in Messages(resource, 2))
            {
                foreach (var metric in Messages(scope, 2))
                {
                    string? name = null;
                    long? value = null;
                    foreach (var field in Protobuf.Fields(metric))
                    {
                        if (field.Number == 1 && field.WireType == 2)
                        {
                            name = Encoding.UTF8.GetString(field.Bytes.Span);
                        }
                        else if (field.Number == 5 && field.WireType == 2)
                        {
                            value = LastPoint(field.Bytes) ?? value;
                        }
                    }

                    if (name is not null && value is not null)
                    {
                        lock (_gate)
                        {
                            _gauges[name] = value.Value;
                        }
                    }
                }
            }
        }
    }

    // The last NumberDataPoint of a Gauge: as_double (4, fixed64) or as_int (6, sfixed64).
    private static long? LastPoint(ReadOnlyMemory<byte> gauge)
    {
        long? value = null;
        foreach (var point in Messages(gauge, 1))
        {
            foreach (var field in Protobuf.Fields(point))
            {
                value = (field.Number, field.WireType) switch
                {
                    (6, 1) => (long)field.Value,
                    (4, 1) => (long)BitConverter.UInt64BitsToDouble(field.Value),
                    _ => value,
                };
            }
        }

        return value;
    }

    private static IEnumerable<ReadOnlyMemory<byte>> Messages(ReadOnlyMemory<byte> message, int number) =>
        Protobuf.Fields(message).Where(f => f.Number == number && f.WireType == 2).Select(f => f.Bytes);

    /// <summary>The protobuf wire format, fields only (no schema).</summary>
    private static class Protobuf
    {
        public readonly record struct Field(int Number, int WireType, ulong Value, ReadOnlyMemory<byte> Bytes);

        public static IEnumerable<Field> Fields(ReadOnlyMemory<byte> message)
        {
            var position = 0;
            while (position < message.Length)
            {
                var key = Varint(message.Span, ref position);
                var (number, wireType) = ((int)(key >> 3), (int)(key & 7));
                switch (wireType)
                {
                    case 0:
                        yield return new Field(number, wireType, Varint(message.Span, ref position), default);
                        break;
                    case 1:
                        yield return new Field(number, wireType, BinaryPrimitives.ReadUInt64LittleEndian(Take(message, ref position, 8).Span), default);
                        break;
                    case 2:
                        var length = Varint(message.Span, ref position);
                        yield return new Field(number, wireType, length, Take(message, ref position, checked((int)length)));
                        break;
                    case 5:
                        yield return new Field(number, wireType, BinaryPrimitives.ReadUInt32LittleEndian(Take(message, ref position, 4).Span), default);
                        break;
                    default:
                        throw new InvalidDataException($"protobuf wire type {wireType} is not expected in OTLP metrics");
                }
            }
        }

        private static ReadOnlyMemory<byte> Take(ReadOnlyMemory<byte> message, ref int position, int length)
        {
            if (length < 0 || position + length > message.Length)
            {
                throw new InvalidDataException("a protobuf field runs past its message");
            }

            var slice = message.Slice(position, length);
            position += length;
            return slice;
        }

        private static ulong Varint(ReadOnlySpan<byte> span, ref int position)
        {
            ulong value = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                if (position >= span.Length)
                {
                    throw new InvalidDataException("a protobuf varint runs past its message");
                }

                var b = span[position++];
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return value;
                }
            }

            throw new InvalidDataException("a protobuf varint is longer than 10 bytes");
        }
    }
}
