using Microsoft.Extensions.Configuration;

namespace TenantRag.Server.Observability;

/// <summary>
/// The <c>Telemetry</c> settings: where OpenTelemetry traces and metrics go. With no endpoint here and no
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> in the environment nothing is exported, and no OpenTelemetry pipeline runs.
/// </summary>
public sealed class TelemetryOptions
{
    /// <summary>The standard environment variable that also turns the export on (read by the OpenTelemetry SDK itself).</summary>
    public const string EndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>
    /// The OTLP collector's base address, e.g. <c>http://127.0.0.1:4318</c> (http/protobuf: <c>/v1/traces</c> and
    /// <c>/v1/metrics</c> are appended) or <c>http://127.0.0.1:4317</c> (grpc). Unset: <see cref="EndpointVariable"/>
    /// with the SDK's own <c>OTEL_EXPORTER_OTLP_*</c> settings, if set; else no export. Credentials belong in
    /// <c>OTEL_EXPORTER_OTLP_HEADERS</c>, not in this address.
    /// </summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary>How <see cref="OtlpEndpoint"/> is spoken to: <c>http/protobuf</c> (the default) or <c>grpc</c>.</summary>
    public string OtlpProtocol { get; set; } = "http/protobuf";

    /// <summary>Whether the protocol is grpc (else http/protobuf).</summary>
    internal bool IsGrpc => string.Equals(OtlpProtocol, "grpc", StringComparison.OrdinalIgnoreCase);

    /// <summary>Binds and checks <paramref name="section"/>; a bad value is a usage error naming its key.</summary>
    /// <exception cref="UsageException">The endpoint is not an absolute http(s) URL without credentials, or the protocol is unknown.</exception>
    public static TelemetryOptions Read(IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        var options = new TelemetryOptions();
        section.Bind(options);
        var prefix = section is IConfigurationSection { Path: { Length: > 0 } path } ? path + ":" : "";
        if (string.IsNullOrWhiteSpace(options.OtlpEndpoint))
        {
            options.OtlpEndpoint = null;
        }
        else if (!Uri.TryCreate(options.OtlpEndpoint, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || uri.UserInfo.Length > 0)
        {
            // The value is not quoted: a URL with credentials in it would end up on the terminal and in logs.
            throw new UsageException($"{prefix}OtlpEndpoint is not an absolute http or https URL without credentials: e.g. http://127.0.0.1:4318 "
                + "(credentials go in OTEL_EXPORTER_OTLP_HEADERS)");
        }

        if (!options.IsGrpc && !string.Equals(options.OtlpProtocol, "http/protobuf", StringComparison.OrdinalIgnoreCase))
        {
            throw new UsageException($"{prefix}OtlpProtocol '{UsageException.Echo(options.OtlpProtocol)}' is not known: use http/protobuf or grpc");
        }

        return options;
    }
}
